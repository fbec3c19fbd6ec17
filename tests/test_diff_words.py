"""Word-level diff and noise control (pure: no database)."""

from __future__ import annotations

import re

import pytest

from archive.diff.tokens import GLUE, _canonical_by_rules, analyse, canonical, compared_words, join_words, tokens
from archive.diff.words import diff_words, similarity
from tests.conftest import CORPUS


def changed(a: str, b: str) -> list[tuple[str, str]]:
    return [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("the Risk Report contains sufficient information", "the Risk Report containssufficient information"),
        ("we publish Risk Reports discussing the risks", "we publishRisk Reportsdiscussing the risks"),
        ("a “highly capable” model", 'a "highly capable" model'),
        ("from 2018 – 2024 onwards", "from 2018-2024 onwards"),
        ("significant risks4 above", "significant risks5 above"),
        ("as it may face.1 Where we", "as it may face.2Where we"),
        ("the capa-\nbility of models", "the capability of models"),
        ("spaced   out\n\ntext\fhere", "spaced out text here"),
        ("the ﬁnal rule", "the final rule"),
        ("a one-year scaleup of 35^2 = ~1000x", "a one-year scaleup of 352= ~1000x"),  # a superscript spelled out
        ("at ASL-3 now", "at ASL3 now"),  # a hyphen next to a digit goes with the dashes
        ("noncompliance—even if", "noncompliance — even if"),  # a dash between words is no hyphen
    ],
)
def test_noise_is_not_a_change(a: str, b: str) -> None:
    assert changed(a, b) == []
    assert similarity(a, b) == 1.0


def test_real_word_changes_show_and_words_stay_whole() -> None:
    ops = changed(
        "risks4 above and beyond those posed by our public models.",
        "risks5beyond those posed by models that are covered by a prior Risk Report.",
    )
    assert ("delete", "above and") in ops
    assert any(op == "insert" and "covered by a prior Risk Report." in text for op, text in ops)
    for _op, text in ops:  # no op starts or ends inside a word of either text
        assert text == text.strip()


def test_a_hyphen_between_letters_is_spelling() -> None:
    # The noncompliance policy's 2026 revision writes "non-compliance" where 2025's wrote "noncompliance".
    assert changed("Board reporting of noncompliance reports", "Board reporting of non-compliance reports") == [
        ("delete", "noncompliance"), ("insert", "non-compliance")]
    assert canonical("“well‐being”") == '"well-being"'  # U+2010, the typographic hyphen, is one too
    assert canonical("non-") == "non" and canonical("-based") == "based"


def test_run_together_next_to_a_real_change() -> None:
    ops = changed("the report contains sufficient detail", "the report containssufficient evidence")
    assert ops == [("delete", "detail"), ("insert", "evidence")]


def test_equal_text_keeps_the_spaces_either_version_has() -> None:
    """Equal text is shown as the newer version prints it, except a stretch the newer ran together
    where the older has spaces (3.1's "covershighly capablemodels"; the publisher's text has them):
    that stretch as the older prints it. Only spaces: a stretch whose quotes differ is the newer's."""
    older = "a Risk Report covers highly capable models and is significantly redacted, defined as follows: “x”"
    newer = 'a Risk Report covershighly capablemodels and issignificantly redacted,defined asfollows: "x"'
    shown = [(o.op, o.text) for o in diff_words(older, newer)]
    assert shown == [("equal", older.replace("“x”", '"x"'))]
    assert [(o.op, o.text) for o in diff_words(newer, older)] == [("equal", older)]  # the newer spaced: as is
    # Next to a real change, the stretch around it is still the spaced one.
    ops = [(o.op, o.text.strip()) for o in diff_words("it covers highly capable models", "it covershighly able models")]
    assert ops == [("equal", "it covers highly"), ("delete", "capable"), ("insert", "able"), ("equal", "models")]
    # A stretch differing in more than spaces (a quote style) stays as the newer prints it.
    quoted = 'a "highly capable"model'
    assert [o.text for o in diff_words("a “highly capable” model", quoted)] == [quoted]
    # A footnote marker (no letters) is no stretch of its own: the spaces around it still come back.
    assert [o.text for o in diff_words("The policy [^3] covers highly capable models.",
                                       "The policy covershighly capable models.")] == [
        "The policy covers highly capable models."]
    assert [o.text for o in diff_words("it covers highly [^4] capable", "it covershighly [^5] capable")] == [
        "it covers highly [^5] capable"]
    # A list renumbered in the same span ("10." now "9.": letters differ) is shown as the newer has it.
    a = "Intro.\n8. First item.\n9. Foo bar baz qux.\n10. Baz covers highly capable models today."
    b = "Intro.\n8. First item.\n9. Baz covershighly capable models today."
    assert [(o.op, o.text) for o in diff_words(a, b)][-1] == ("equal", "9. Baz covershighly capable models today.")


def test_text_against_itself() -> None:
    text = "Several principles guide how we approach Risk Reports: ● direct, candid."
    assert changed(text, text) == []


def test_analysed_words_are_the_tokens() -> None:
    """`analyse` reads words line by line (to tell list markers by their place) and splits words the PDF
    ran together; joined as shown, they are `tokens`', the words as printed."""
    texts = [path.read_text(encoding="utf-8") for path in CORPUS.glob("*/text/*.txt")]
    assert len(texts) >= 10
    for text in texts + ["a\u2028b\x0bc\r\nd\u00a0e \n\n  f"]:
        assert join_words(analyse(text).words).split() == tokens(text)
    assert analyse("feedback:We EthicsPoint").words == ("feedback:", GLUE + "We", "Ethics", GLUE + "Point")
    assert join_words(analyse("feedback:We EthicsPoint").words) == "feedback:We EthicsPoint"
    text = "Intro.\n1.\nFirst item.\n2. Second item;\n(c) third; and\n(d) fourth\nSection\n4. here"
    markers = analyse(text).list_markers
    # "1." alone on its line, "2." after a sentence, "(c)" after ";"; not "(d)" after "and", nor "4." after "Section".
    assert sorted(markers) == [1, 4, 7]


def test_the_shortcut_for_plain_words_gives_the_keys_the_rules_give() -> None:
    """`canonical` returns a word of ASCII letters and untouched punctuation as it is, without running
    the rules: every word of the reference texts gets the same key either way."""
    words = {w for path in CORPUS.glob("*/text/*.txt") for w in tokens(path.read_text(encoding="utf-8"))}
    assert len(words) > 3000
    assert {w: canonical(w) for w in words} == {w: _canonical_by_rules(w) for w in words}
    # Both branches are taken, and the rules still do their work.
    assert canonical("policy,") == "policy," and canonical("risk—based") == "riskbased"
    assert canonical("“Double") == '"Double' and canonical("risks5") == "risks" and canonical("[^4]") == ""


def test_compared_words_are_the_analysed_words() -> None:
    """The benchmark's difflib baseline tokenises with `compared_words`: the redline's own words."""
    for path in CORPUS.glob("*/text/*.txt"):
        text = path.read_text(encoding="utf-8")
        assert compared_words(text) == list(analyse(text).words)


# -- lists and footnotes edited at random: the ops always rebuild both texts ----------------------------

_ITEMS = ["Internal review: we review it yearly.", "Policy changes: the Board approves them.",
          "Employee agreements: none restrict speech.", "Noncompliance: we investigate reports.",
          "Transparency: we publish summaries.", "Procedural review: we commission audits."]
_NOTES = ["We will specify this later.", "We hope to publish updates.", "We recognize the limits.",
          "We keep records of it."]


def _document(items: list[int], notes: list[int], style: str) -> str:
    """A numbered (or lettered) list of some of `_ITEMS`, then some of `_NOTES` as numbered notes."""
    marker = {"num": lambda n: f"{n + 1}.", "paren": lambda n: f"({'abcdefgh'[n]})"}[style]
    body = "".join(f"\n\n{marker(n)}\n{_ITEMS[k]}" for n, k in enumerate(items))
    return "We commit to the following." + body + "".join(f"\n[^{n + 1}] {_NOTES[k]}" for n, k in enumerate(notes))


@pytest.mark.parametrize("seed", range(1000))
def test_random_item_and_note_edits_rebuild_both_texts(seed: int) -> None:
    import random

    rng = random.Random(seed)
    style = rng.choice(["num", "paren"])
    older_items = sorted(rng.sample(range(len(_ITEMS)), rng.randint(1, len(_ITEMS))))
    newer_items = sorted(rng.sample(range(len(_ITEMS)), rng.randint(1, len(_ITEMS))))
    older_notes = sorted(rng.sample(range(len(_NOTES)), rng.randint(0, len(_NOTES))))
    newer_notes = sorted(rng.sample(range(len(_NOTES)), rng.randint(0, len(_NOTES))))
    older, newer = _document(older_items, older_notes, style), _document(newer_items, newer_notes, style)
    ops = diff_words(older, newer)
    assert not any(o.moved for o in ops)  # whole items and notes, in order: nothing moves
    rebuilt_newer = " ".join(o.text for o in ops if o.op != "delete")
    rebuilt_older = " ".join(o.text for o in ops if o.op != "insert")
    # Rebuilt words lose their lines, which tell list markers: compare content keys, markers as styles.
    def keys(text: str) -> list[str]:
        return [k for k in analyse(text).keys if k and not re.fullmatch(r"\(?[a-h\d]+[.)]", k)]

    assert keys(rebuilt_newer) == keys(newer), ops
    assert keys(rebuilt_older) == keys(older), ops
    # A deleted item shows the older text's marker for it, an inserted one the newer's.
    for o in ops:
        if o.op == "equal":
            continue
        words = o.text.split()
        source = older if o.op == "delete" else newer
        for marker, word in zip(words, words[1:], strict=False):
            for item in _ITEMS:
                if re.fullmatch(r"\(?[a-h\d]+[.)]", marker) and word == item.split()[0]:
                    assert f"{marker}\n{item}" in source, (o, source)
    if older == newer:
        assert all(o.op == "equal" for o in ops)
