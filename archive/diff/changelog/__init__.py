"""Changelog audit: relate a redline's changes to the items of the newer version's changelog entry.

- The changelog is the top-level clause titled "Changelog" / "Version history" / "Revision history";
  its entries are its children. The newest entry is the one whose title names the newer version's
  label ("(RSP v3.1)"), else the last one. A redline spanning several revisions (3.0 -> 3.4) is audited
  against every entry naming a version after the older one up to the newer one (3.1 to 3.4): the
  newest entry alone would leave the earlier revisions' announced changes looking unannounced.
- Items: an inline enumeration "(1) ...; (2) ..." or a numbered list ("1." at a line start), else
  paragraphs headed by their subject ("ASL definition changed: ..."); without any, each sentence is
  an item. A sentence announcing "minor edits for style or clarity" or
  "typo and formatting corrections" is not an item: it accounts for editorial changes.
- Nature of a change: *editorial* when every changed stretch differs only in case, punctuation or
  spacing, or is a typo-sized edit (at most EDITORIAL_MAX_WORDS words a side and a character edit
  distance of at most EDITORIAL_MAX_EDITS); otherwise *substantive*. Added or removed clauses with
  text are substantive.
- Relating: an item's terms (content words without a plural "s" or an "ing", cut to their first STEM
  letters) are matched against a change's evidence (its changed words and its clause's title),
  weighted by inverse document frequency over the newer version's clauses; an explicit "Section 3.4" /
  "Appendix A" in the item that names the change's clause adds REF_BONUS. An item accounts for the
  changes scoring at least MIN_SCORE with at least MIN_TERMS shared terms and at least RELATIVE of
  that item's best score (or sharing a phrase rare in the policy, while scoring at least RELATIVE of
  the change's best item), so a clause that merely mentions an item's topic is not taken as announced.
  A change lists its items likeliest first (score times the share of the item's evidence it holds).
  A change's sentences that point at the clause an item matches best ("the threshold ... described in
  Section 1") do not count for that item: they repeat the announced change's words without being it. An item
  announcing a comprehensive rewrite accounts for every change. A sentence announcing several changes
  in a list is one item per change; a sentence that only points elsewhere ("see here", "described
  below") is no item.
- Changelogs set as a table of dated rows (a date line, then what changed) are read too: the rows
  dated after the older version up to the newer one are its entries.
- An added or removed heading with no text of its own (a section whose words are all in its
  subsections) is accounted for by the items that account for its subsections' changes
  (`via_subsections`); it is not listed among those items' clauses.
- Not audited: the changelog itself, and front-matter changes that touch only version/date words.

The package's modules, in the order an audit runs: `entries` (the changelog and the entries of the
revisions compared), `items` (an entry's items and editorial note), `nature` (editorial or
substantive), `relate` (scoring a change against every item), `audit` (the whole; `select` limits it
to some clauses).
"""

from archive.diff.changelog.audit import audit, clear_caches, recount, select
from archive.diff.changelog.entries import entry_version, named_version_dates, named_versions
from archive.diff.changelog.items import split_items
from archive.diff.changelog.nature import nature

__all__ = [
    "audit", "clear_caches", "entry_version", "named_version_dates", "named_versions", "nature", "recount", "select",
    "split_items",
]
