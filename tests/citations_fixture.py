# ruff: noqa: E501  (quotes are kept whole, as a wiki page would write them)
"""Twenty citations of the RSP as a wiki page might write them, with the status each must get."""

from __future__ import annotations

CITATIONS: list[tuple[dict, str]] = [
    # current: still in the newest version (3.4), same clause
    (
        {
            "quote": "We will aim to minimize redactions to the public version of the report.",
            "version": "3.0",
            "section": "3.5",
        },
        "current",
    ),
    (
        {
            "quote": "(4) overseeing the implementation of this policy, including the allocation of sufficient resources;",
            "version": "3.0",
            "section": "§4",
        },
        "current",
    ),
    (
        {
            "quote": "We will explain whether, and if so why, we believe the identified risks are justified",
            "version": "3.1",
            "section": "3.3",
        },
        "current",
    ),
    (
        {
            "quote": 'Earlier editions of our RSP defined "AI Safety Levels" with specific lists of required controls.',
            "version": "3.3",
            "section": "Appendix B",
        },
        "current",
    ),
    (
        {
            "quote": "and we have clear evidence that no other competitor will soon develop such a model.",
            "version": "3.4",
            "section": "Appendix A",
        },
        "current",
    ),
    (
        {
            "quote": "Adequacy of information: Whether the Risk Report contains sufficient information to assess the identified risks",
            "version": "3.1",
            "section": "3.6.3",
        },
        "current",
    ),
    (
        {
            "quote": "The overall level of catastrophic risk from AI depends on the actions of multiple AI developers, not just one.",
            "version": "3.1",
            "section": "Introduction",
        },
        "current",
    ),
    # moved: still in 3.4, but in another section
    (
        {
            "quote": "(5) receiving and addressing reports of potential instances of noncompliance;",
            "version": "2.2",
            "section": "7.1",
        },
        "moved",
    ),
    (
        {
            "quote": "This review will focus on procedural compliance, not substantive outcomes.",
            "version": "2.2",
            "section": "7.2",
        },
        "moved",
    ),
    # changed: the cited clause is still there but no longer says this
    (
        {
            "quote": "we will consider a model highly capable if we determine that it could compress two years of 2018 – 2024 AI progress into a single year",
            "version": "3.0",
            "section": "3.6",
        },
        "changed",
    ),
    (
        {
            "quote": "We hope to develop additional metrics for other domains over time.",
            "version": "3.0",
            "section": "3.6",
        },
        "changed",
    ),
    (
        {
            "quote": "model could compress two years of 2018-2024 AI progress into a single year",
            "version": "3.0",
            "section": "1",
        },
        "changed",
    ),
    # changed across the rewrite: 2.2's §7.1 "Internal Governance" is 3.0's §4 "Governance", which reads
    # "The RSO’s duties will include"
    (
        {
            "quote": "this policy is designed and implemented effectively. The Responsible Scaling Officer’s duties will\ninclude (but are not limited to)",
            "version": "2.2",
            "section": "7.1",
        },
        "changed",
    ),
    # removed: the quote and its clause are gone from 3.4
    (
        {
            "quote": "If a new or existing model is below the “notably more capable” standard, no further testing is necessary.",
            "version": "2.2",
            "section": "3.1",
        },
        "removed",
    ),
    (
        {
            "quote": "We will document our implementation of the Required Safeguards in a Safeguards Report.",
            "version": "2.0",
            "section": "4",
        },
        "removed",
    ),
    # wrong: the quote is not where the citation says
    (
        {
            "quote": "We will aim to minimize redactions to the public version of the report.",
            "version": "3.0",
            "section": "3.4",
        },
        "wrong",
    ),
    (
        {"quote": "compress two years of 2018 – 2024 AI progress into a single year", "version": "3.1", "section": "1"},
        "wrong",
    ),
    (
        {
            "quote": "We will never train models larger than ten to the thirtieth FLOPs under any circumstances.",
            "version": "3.4",
            "section": "1",
        },
        "wrong",
    ),
    (
        {
            "quote": "(5) receiving and addressing reports of potential instances of noncompliance;",
            "version": "9.9",
            "section": "7.1",
        },
        "wrong",
    ),
    (
        {"quote": "Earlier editions of our RSP defined “AI Safety Levels”", "version": "3.3", "section": "Appendix A"},
        "wrong",
    ),
]
