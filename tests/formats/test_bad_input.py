"""Hostile and broken files: each gives FormatError with a sentence and a reason, nothing else."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bookshelf.formats import FormatError, read_book
from tests.builders import make_epub, make_jpeg, make_mobi, make_pdf, make_png, png_header_only

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&lol3;</dc:title></metadata></package>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&xxe;</dc:title></metadata></package>"""
DRM = """<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
 xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
 <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
 <enc:CipherData><enc:CipherReference URI="OEBPS/chapter1.xhtml"/></enc:CipherData>
 </enc:EncryptedData></encryption>"""
FONTS = DRM.replace("http://www.w3.org/2001/04/xmlenc#aes128-cbc",
                    "http://www.idpf.org/2008/embedding")


def expect(path: Path, reason: str | tuple[str, ...]) -> FormatError:
    with pytest.raises(FormatError) as info:
        read_book(path)
    err = info.value
    reasons = (reason,) if isinstance(reason, str) else reason
    assert err.reason in reasons, err
    assert err.message.endswith((".", ")")) and len(err.message) > 15
    return err


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.epub").write_bytes(b"")
    expect(tmp_path / "e.epub", "empty_file")


def test_zeros(tmp_path: Path) -> None:
    (tmp_path / "z.pdf").write_bytes(bytes(100_000))
    assert "zero" in expect(tmp_path / "z.pdf", "empty_file").message


def test_huge_sparse_file(tmp_path: Path) -> None:
    path = tmp_path / "sparse.epub"
    with open(path, "wb") as fh:
        fh.truncate(3 * 1024**3)
    expect(path, "empty_file")


def test_png_named_epub(tmp_path: Path) -> None:
    (tmp_path / "x.epub").write_bytes(make_png())
    assert "PNG image" in expect(tmp_path / "x.epub", "unsupported_format").message


def test_text_file(tmp_path: Path) -> None:
    (tmp_path / "x.mobi").write_text("just some words\n" * 20)
    expect(tmp_path / "x.mobi", "unsupported_format")


def test_not_a_zip_despite_signature(tmp_path: Path) -> None:
    (tmp_path / "x.epub").write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    expect(tmp_path / "x.epub", "not_a_zip")


def test_truncated_epub(tmp_path: Path) -> None:
    data = make_epub(tmp_path / "ok.epub", body_bytes=20_000).read_bytes()
    (tmp_path / "t.epub").write_bytes(data[: len(data) // 2])
    expect(tmp_path / "t.epub", ("not_a_zip", "truncated"))


def test_zip_without_opf(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "n.epub", "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr("hello.txt", "hi")
    assert "package document" in expect(tmp_path / "n.epub", "missing_opf").message


def test_container_points_to_missing_opf(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "m.epub")
    with zipfile.ZipFile(path) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if name != "OEBPS/content.opf":
                zf.writestr(name, data)
    assert "points to a missing file" in expect(path, "missing_opf").message


def test_invalid_opf_xml(tmp_path: Path) -> None:
    expect(make_epub(tmp_path / "x.epub", opf="<package><metadata><dc:title>"), "bad_xml")


@pytest.mark.parametrize("opf", [BILLION_LAUGHS, XXE])
def test_entity_attacks(tmp_path: Path, opf: str) -> None:
    assert "entities" in expect(make_epub(tmp_path / "x.epub", opf=opf), "bad_xml").message


def test_zip_bomb(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "bomb.epub", extra_entries={
        "OEBPS/bomb.txt": b"\x00" * (50 * 1024 * 1024)})
    assert path.stat().st_size < 200_000
    expect(path, "zip_bomb")


def test_declared_size_over_cap(tmp_path: Path) -> None:
    """A central directory claiming gigabytes is refused before anything is inflated."""
    path = make_epub(tmp_path / "liar.epub", extra_entries={"OEBPS/x.bin": b"x" * 100})
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")  # last central entry is x.bin
    data[cd + 24:cd + 28] = (0xF0000000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    expect(path, "zip_bomb")


def test_too_many_entries(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "many.epub",
                     extra_entries={f"OEBPS/f{i}.txt": b"" for i in range(10_001)})
    expect(path, "zip_bomb")


def test_path_traversal_names_are_ignored(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "trav.epub", extra_entries={
        "../../evil.txt": b"x", "/abs/evil.txt": b"x", "C:/evil.txt": b"x"})
    book = read_book(path)
    assert book.title == "A Test Book"
    assert not (tmp_path.parent / "evil.txt").exists()


def test_traversal_opf_path_is_not_followed(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "t.epub")
    with zipfile.ZipFile(path) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entries["META-INF/container.xml"] = entries["META-INF/container.xml"].replace(
        b"OEBPS/content.opf", b"../../etc/passwd")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    expect(path, "missing_opf")


def test_drm_epub(tmp_path: Path) -> None:
    assert "DRM" in expect(make_epub(tmp_path / "d.epub", encryption_xml=DRM), "drm").message


def test_font_obfuscation_is_not_drm(tmp_path: Path) -> None:
    assert read_book(make_epub(tmp_path / "f.epub", encryption_xml=FONTS)).title


def test_password_pdf(tmp_path: Path) -> None:
    expect(make_pdf(tmp_path / "p.pdf", password="secret"), "encrypted")


def test_truncated_pdf(tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "ok.pdf", pages=5).read_bytes()
    (tmp_path / "t.pdf").write_bytes(data[:200])
    expect(tmp_path / "t.pdf", ("corrupt", "truncated"))


def test_drm_mobi(tmp_path: Path) -> None:
    expect(make_mobi(tmp_path / "d.mobi", drm=True), "drm")


def test_truncated_mobi(tmp_path: Path) -> None:
    data = make_mobi(tmp_path / "ok.mobi", cover=make_jpeg()).read_bytes()
    (tmp_path / "t.mobi").write_bytes(data[:100])
    expect(tmp_path / "t.mobi", ("truncated", "corrupt"))


def test_absurd_cover_is_dropped_not_decoded(tmp_path: Path) -> None:
    book = read_book(make_epub(tmp_path / "c.epub", cover=png_header_only(100_000, 100_000)))
    assert book.cover is None and book.title


def test_unexpected_parser_errors_become_format_errors(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import bookshelf.formats.epub as epub

    def boom(*args: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(epub, "fill_metadata", boom)
    err = expect(make_epub(tmp_path / "b.epub"), "corrupt")
    assert "KeyError" in err.message
