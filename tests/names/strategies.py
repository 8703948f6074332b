"""Generated file names in every script, form and size a real library holds."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

SCRIPTS = {
    "greek": "ΟδύσσειαὍμηροςἈχιλλεύςΙλιάδαἀρχὴ",
    "cyrillic": "ВойнаимирЛевТолстойЁжикЩукаїєґ",
    "cjk": "吾輩は猫である夏目漱石三体刘慈欣",
    "arabic": "ألفليلةوليلةنجيبمحفوظ",
    "hebrew": "שָׁלוֹםעֲלֵיכֶםעמוסעוז",
    "latin": "ÉmileZolaGerminalStraßeØreÇàñœ",
    "vietnamese": "TruyệnKiềuNguyễnDuĐàNẵng",
    "hangul": "한국어소설채식주의자",
    "emoji": "📚😀👩‍👩‍👧🇯🇵✨",
    "ascii": "DuneFrankHerbert Left Hand of Darkness",
    "punctuation": " -–—:;,.'!&()[]«»“”",
}
word = st.sampled_from(sorted(SCRIPTS)).flatmap(lambda s: st.text(SCRIPTS[s], min_size=1, max_size=12))
base_name = st.lists(word, min_size=1, max_size=4).map(" ".join).filter(lambda t: any(c.isalnum() for c in t))


@st.composite
def spelt(draw: st.DrawFn, text: st.SearchStrategy[str] = base_name) -> str:
    """A name as some disk or client spells it: NFC, NFD (macOS), upper or lower case."""
    name = draw(text)
    form = draw(st.sampled_from(["NFC", "NFD", "upper", "lower", "as-is"]))
    if form in ("NFC", "NFD"):
        return unicodedata.normalize(form, name)
    return getattr(name, form)() if form != "as-is" else name


long_name = st.builds(lambda w, n: (w + " ") * n, word, st.integers(20, 40))  # past 255 bytes, under 4 KB
any_name = st.one_of(spelt(), spelt(long_name))
