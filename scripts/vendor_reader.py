"""Refresh the reader's vendored engines from the npm registry: pinned versions, checked, with licences.

    python scripts/vendor_reader.py          # fetch the pinned versions, check them, rewrite static/vendor/
    python scripts/vendor_reader.py --check  # only verify the files on disk against SHA256SUMS

Each package is fetched with `npm pack <name>@<version>` (the registry's ordinary client),
its tarball checked against the pinned sha512 integrity, and only the files the reader loads
are copied, with the package's licence. To move to a newer version, change VERSION and
INTEGRITY below (`npm view <name>@<version> dist.integrity`), run this, read the diff.
Nothing here runs at serve time: the browser loads the files as they are (no build step).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "bookshelf" / "web" / "ui" / "static" / "vendor"

# name -> (version, sha512 integrity, {file in the package: file under vendor/<dir>}, dir)
PACKAGES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "foliate-js": (
        "1.0.1",
        "sha512-Cj4h2ub5aVA+yUgbhvVhCyxwi0GPF4pyNBa6Lw9+6WKY1ReBxipItn2kEBO6u7Vu/xYXjK711R74+t+yW/0u5w==",
        {
            name: name
            for name in (
                "view.js",
                "paginator.js",
                "fixed-layout.js",
                "epub.js",
                "epubcfi.js",
                "progress.js",
                "overlayer.js",
                "text-walker.js",
                "search.js",
                "vendor/zip.js",
                "vendor/fflate.js",
                "LICENSE",
            )
        },  # fmt: skip
        "foliate-js",
    ),
    "construct-style-sheets-polyfill": (
        "3.1.0",
        "sha512-HBLKP0chz8BAY6rBdzda11c3wAZeCZ+kIG4weVC2NM3AXzxx09nhe8t0SQNdloAvg5GLuHwq/0SPOOSPvtCcKw==",
        {"dist/adoptedStyleSheets.js": "adoptedStyleSheets.js", "LICENSE.md": "LICENSE.md"},
        "construct-style-sheets-polyfill",
    ),
    "pdfjs-dist": (
        "6.5.438",
        "sha512-vg8Pw1x+AFKy4AMDvhuWl5cOYV8d698UoEANoFFhc79hqXDnZQqnOXoxw3HG907WHOg1JYOvLhP756boddFxpA==",
        {
            "build/pdf.min.mjs": "pdf.min.mjs",
            "build/pdf.worker.min.mjs": "pdf.worker.min.mjs",
            "LICENSE": "LICENSE",
            **{
                f"standard_fonts/{f}": f"standard_fonts/{f}"
                for f in (
                    "FoxitDingbats.pfb",
                    "FoxitFixed.pfb",
                    "FoxitFixedBold.pfb",
                    "FoxitFixedBoldItalic.pfb",
                    "FoxitFixedItalic.pfb",
                    "FoxitSerif.pfb",
                    "FoxitSerifBold.pfb",
                    "FoxitSerifBoldItalic.pfb",
                    "FoxitSerifItalic.pfb",
                    "FoxitSymbol.pfb",
                    "LICENSE_FOXIT",
                    "LICENSE_LIBERATION",
                    "LiberationSans-Bold.ttf",
                    "LiberationSans-BoldItalic.ttf",
                    "LiberationSans-Italic.ttf",
                    "LiberationSans-Regular.ttf",
                )
            },
        },
        "pdfjs",
    ),  # fmt: skip
}

# A browser cannot resolve a bare module name without an import map (an inline script,
# which the CSP forbids), so foliate's one bare import is pointed at the vendored copy.
PATCHES = {
    "foliate-js/fixed-layout.js": (
        "import 'construct-style-sheets-polyfill'",
        "import '../construct-style-sheets-polyfill/adoptedStyleSheets.js'",
    ),
}


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch(name: str, version: str, expected: str, into: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(into)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    tarball = into / out.stdout.strip().splitlines()[-1]
    if integrity(tarball) != expected:
        sys.exit(f"{name}@{version}: the tarball's integrity is not the pinned one; refusing it")
    return tarball


def refresh() -> None:
    staging = VENDOR.with_name("vendor.new")
    shutil.rmtree(staging, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, expected, files, folder) in PACKAGES.items():
            tarball = fetch(name, version, expected, Path(tmp))
            with tarfile.open(tarball) as tar:
                for source, target in files.items():
                    member = tar.extractfile(f"package/{source}")
                    if member is None:
                        sys.exit(f"{name}@{version} has no {source}")
                    dest = staging / folder / target
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(member.read())
            (staging / folder / "VERSION").write_text(f"{name} {version} {expected}\n")
    for relative, (old, new) in PATCHES.items():
        path = staging / relative
        text = path.read_text()
        if old not in text:
            sys.exit(f"{relative}: the line to patch is gone; look at the new version")
        path.write_text(text.replace(old, new))
    write_sums(staging)
    shutil.rmtree(VENDOR, ignore_errors=True)
    staging.rename(VENDOR)


def sums(root: Path) -> str:
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    return "\n".join(lines) + "\n"


def write_sums(root: Path) -> None:
    (root / "SHA256SUMS").write_text(sums(root))


def check() -> bool:
    return (VENDOR / "SHA256SUMS").read_text() == sums(VENDOR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify the vendored files, fetch nothing")
    if parser.parse_args().check:
        sys.exit(0 if check() else "static/vendor differs from its SHA256SUMS")
    refresh()
    print(f"vendored into {VENDOR}")


if __name__ == "__main__":
    main()
