"""MIMIC-CXR style reports written from a study's labels (private to :mod:`cxrkit.demo`).

The labels come first (:mod:`cxrkit.demo._labels`); :func:`write_report` then writes a report whose text
agrees with them: a positive category gets an affirmative sentence, a negative one a negated sentence, an
uncertain one a hedged sentence, and a blank one is not mentioned in the findings or impression. Each
category's side, size and severity are drawn once per report, so the findings and the impression (which
summarises, in its own words) tell the same story; changes since a prior are only described when the patient
has an earlier study. The report's layout (which headers, in which spelling) follows the real shares (see
:data:`~cxrkit.demo._phrases.SPELLINGS` and :func:`_structure`).

Examples
--------
>>> import random
>>> row = [float("nan")] * 14
>>> text = write_report(random.Random(0), row, portable=False, n_images=2, has_prior=False)
>>> all(line.startswith(" ") for line in text.splitlines())
True
"""

from __future__ import annotations

import math
import random
import re

import cxrkit.demo._phrases as ph

from ._labels import CATEGORIES, NO_FINDING

_IDX = {name: i for i, name in enumerate(CATEGORIES)}
#: Report layouts and their shares: modern template; older (history, findings, impression); impression
#: only; findings only; no headers (the official parser keeps the last paragraph).
_STRUCTURES = (("modern", 0.41), ("older", 0.13), ("impression", 0.29), ("findings", 0.125), ("plain", 0.045))
#: Per layout, P(examination), P(technique), P(indication), P(history), P(comparison).
_HEADERS = {
    "modern": (0.97, 0.85, 0.98, 0.03, 0.95),
    "older": (0.0, 0.0, 0.5, 0.75, 0.7),
    "impression": (0.0, 0.0, 0.55, 0.6, 0.5),
    "findings": (0.15, 0.05, 0.7, 0.35, 0.6),
    "plain": (0.0, 0.0, 0.0, 0.0, 0.0),
}
# Impression order: the most urgent first.
_URGENCY = (
    "Pneumothorax",
    "Pneumonia",
    "Consolidation",
    "Edema",
    "Pleural Effusion",
    "Lung Lesion",
    "Fracture",
    "Lung Opacity",
    "Atelectasis",
    "Cardiomegaly",
    "Enlarged Cardiomediastinum",
    "Pleural Other",
    "Support Devices",
)


_SLOTS = {
    "side": lambda c: c.rng.choice(("right", "left")),
    "sev": lambda c: c.rng.choice(ph.SEV),
    "sev2": lambda c: c.rng.choice(ph.SEV),
    "mild": lambda c: c.rng.choice(ph.MILD),
    "size": lambda c: f"{c.rng.uniform(0.6, 4.5):.1f}",
    "mm": lambda c: str(c.rng.randint(3, 12)),
    "cm": lambda c: f"{c.rng.uniform(1.5, 7.5):.1f}" if c.rng.random() < 0.6 else c.rng.choice(ph.CM),
    "lobe": lambda c: c.rng.choice(ph.LOBES_RIGHT if c["side"] == "right" else ph.LOBES_LEFT),
    "zone": lambda c: c.rng.choice(ph.ZONES),
    "svc": lambda c: c.rng.choice(ph.SVC),
    "gut": lambda c: c.rng.choice(ph.GUT),
    "spine": lambda c: c.rng.choice(ph.SPINE),
    "widecause": lambda c: c.rng.choice(ph.WIDECAUSE),
    "technique": lambda c: c.rng.choice(ph.TECHNIQUES),
    "heartshape": lambda c: c.rng.choice(ph.HEARTSHAPE),
    "stable": lambda c: c.rng.choice(ph.STABLE) if c.has_prior else "noted",
    "worsened": lambda c: c.rng.choice(ph.WORSENED) if c.has_prior else "developed",
    "new": lambda c: c.rng.choice(("new", "increased", "persistent") if c.has_prior else ("patchy", "focal")),
    "opq": lambda c: c.rng.choice(
        ("increased", "slightly increased", "persistent", "hazy") if c.has_prior else ("hazy", "patchy")
    ),
    "nw": lambda c: c.rng.choice(("new ", "")) if c.has_prior else "",
    "change": lambda c: (
        c.rng.choice(ph.CHANGE).replace("{prior}", c["prior"])
        if c.has_prior and c.rng.random() < 0.65
        else c.rng.choice(ph.CHANGE_FIRST)
    ),
    "again": lambda c: c.rng.choice(("again ", "again ", "")) if c.has_prior else "",
    "seen": lambda c: c.rng.choice(ph.SEEN_PRIOR if c.has_prior else ph.SEEN),
    "hedge": lambda c: c.rng.choice(ph.HEDGE),
    "prior": lambda c: _prior_ref(c.rng, c.when),
    "hila": lambda c: c.rng.choice(ph.HILA),
    "spinepart": lambda c: c.rng.choice(ph.SPINEPART),
    "quadrant": lambda c: c.rng.choice(ph.QUADRANT),
    "lowvol": lambda c: c.rng.choice(ph.LOWVOL[:3] + (ph.LOWVOL[3:] if c.has_prior else ())),
    "rotated": lambda c: c.rng.choice(ph.ROTATED),
    "limit": lambda c: c.rng.choice(ph.LIMIT),
    "osseous": lambda c: c.rng.choice(ph.OSSEOUS),
    "level": lambda c: f"T{c.rng.randint(3, 12)}",
    "level2": lambda c: f"T{c.rng.randint(3, 12)}",
    "technique2": lambda c: c.rng.choice(("portable", "frontal", "single", "current", "AP")),
    "lowchange": lambda c: c.rng.choice(("decreased", "increased", "improved", "diminished")),
    "device": lambda c: c.rng.choice(ph.DEVICES),
    "clock": lambda c: c.when[0] if c.when and c.when[0] else "___",
}


def _prior_ref(rng: random.Random, when) -> str:
    """How a report names the patient's previous study: the date is de-identified (``___``), the time and
    "earlier today" or "yesterday" are kept, as in the real reports."""
    days, clock = (when[1], when[2]) if when and when[1] is not None else (None, None)
    if days == 0:
        bank = ph.PRIOR_SAME_DAY
    elif days == 1:
        bank = ph.PRIOR_YESTERDAY
    else:
        bank = ph.PRIOR_EARLIER
    ref = rng.choice(bank)
    return ref.replace("{at}", clock) if clock else ref.replace(" at {at}", "")


class _Context(dict):
    """The slot values of one category in one report, each drawn when a sentence first needs it and then
    kept, so the findings and the impression name the same side and size (``Side``: ``side`` capitalised;
    ``other``: the other side; ``ordinal2``: another rib than ``ordinal``)."""

    def __init__(self, rng: random.Random, has_prior: bool, when=None) -> None:
        super().__init__()
        self.rng, self.has_prior, self.when = rng, has_prior, when

    def __missing__(self, key: str) -> str:
        if key[:1].isupper():
            low = self[key[:1].lower() + key[1:]]
            value = low[:1].upper() + low[1:]
        elif key == "other":
            value = "left" if self["side"] == "right" else "right"
        elif key in ("ordinal", "ordinal2"):
            self["ordinal"], self["ordinal2"] = self.rng.sample(ph.ORDINALS, 2)
            return self[key]
        else:
            value = _SLOTS[key](self)
        self[key] = value
        return value


def _context(rng: random.Random, has_prior: bool, when=None) -> _Context:
    """The slot values of one category in one report (drawn lazily, see :class:`_Context`)."""
    return _Context(rng, has_prior, when)


_CHOICE = re.compile(r"\[([^\[\]]*)\]")


def _fill(template: str, ctx, rng: random.Random) -> str:
    """``template`` with each ``[a|b|c]`` replaced by one of its alternatives (``[a|]``: ``a`` or nothing) and
    its ``{slots}`` filled from ``ctx``."""
    if "[" in template:
        template = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    return template.format_map(ctx) if "{" in template else template


def _lower_first(text: str) -> str:
    word = text.split(" ", 1)[0]
    return text if word.isupper() else text[:1].lower() + text[1:]


def wrap(text: str, width: int = 78) -> list[str]:
    """Greedy word wrap keeping the report's double spaces inside lines (faster than :mod:`textwrap`).

    Examples
    --------
    >>> wrap("one two three", width=7)
    ['one two', 'three']
    """
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        if not cur:
            if word:
                cur = word
            continue
        cand = f"{cur} {word}"
        if len(cand) <= width:
            cur = cand
        else:
            lines.append(cur.rstrip())
            cur = word
    if cur:
        lines.append(cur.rstrip())
    return lines


def _findings(
    rng: random.Random, values: dict[str, float], ctx: dict[str, dict], has_prior: bool, when=None, before=()
):
    """``(findings sentences in rough anatomical order, abnormal sentences)`` for the mentioned categories;
    ``before``: the categories positive on the patient's previous study (a negated one of these may be said
    to have resolved)."""
    keyed: list[tuple[float, str]] = []
    abnormal: list[str] = []
    uncertain = [n for n, v in values.items() if v == -1.0]
    for a, b, template in ph.VERSUS:
        if a in uncertain and b in uncertain and rng.random() < 0.6:
            sentence = _fill(template, ctx[a], rng)
            keyed.append((1.5, sentence))
            abnormal.append(sentence)
            uncertain.remove(a)
            uncertain.remove(b)
    for name, v in values.items():
        if v == 1.0 or (v == -1.0 and name in uncertain):
            bank = ph.POSITIVE if v == 1.0 else ph.UNCERTAIN
            sentence = _fill(rng.choice(bank[name]), ctx[name], rng)
            keyed.append((ph.ORDER[name], sentence))
            abnormal.append(sentence)
    neg = [n for n, v in values.items() if v == 0.0]
    combinable = [n for n in neg if n in ph.NEG_NOUN]
    opacity = ("Atelectasis", "Consolidation", "Edema", "Lung Lesion", "Lung Opacity", "Pneumonia")
    clear = all(values.get(c, 0.0) == 0.0 for c in opacity) and rng.random() < 0.6
    if len(combinable) >= 2 and rng.random() < 0.6:
        rng.shuffle(combinable)
        nouns = [ph.NEG_NOUN[n] for n in combinable]
        last = rng.choice((" or ", ", or ")) if len(nouns) > 2 else " or "
        head = ", ".join(nouns[:-1]) + last + nouns[-1]
        opener = rng.choice(ph.NEG_OPENERS)
        tail = rng.choice(ph.NEG_TAILS)
        if clear and rng.random() < 0.35:  # "The lungs are clear without consolidation, effusion or ..."
            lungs = _fill(ph.CLEAR_LUNGS_HEAD, ctx["Lung Opacity"], rng)
            keyed.append((1.0, f"{lungs}{rng.choice(ph.CLEAR_LUNGS_JOIN)}{head}."))
            clear = False
        else:
            keyed.append((3.0, opener + head + tail + "."))
        neg = [n for n in neg if n not in combinable]
    devices = values.get("Support Devices") == 1.0
    for name in neg:
        bank = ph.NEGATIVE[name]
        if has_prior and name in ph.NEGATIVE_PRIOR and rng.random() < 0.3:
            bank = ph.NEGATIVE_PRIOR[name] + (ph.RESOLVED.get(name, []) if name in before else [])
        elif devices and name in ph.NEGATIVE_DEVICE and rng.random() < 0.4:
            bank = ph.NEGATIVE_DEVICE[name]
        keyed.append((ph.ORDER[name], _fill(rng.choice(bank), ctx[name], rng)))
    if clear:
        c = _context(rng, has_prior, when)
        sentence = _fill(rng.choice(ph.CLEAR_LUNGS), c, rng)
        if has_prior and rng.random() < 0.35:
            sentence = sentence[:-1] + rng.choice(ph.CLEAR_TAIL).replace("{prior}", c["prior"]) + "."
        keyed.append((1.0, sentence))
    neutral = ph.NEUTRAL + (ph.NEUTRAL_PRIOR if has_prior else [])
    extra = min(int(rng.expovariate(1 / 1.6)), 8)
    for template in rng.sample(neutral, extra):
        c = _context(rng, has_prior, when)
        sentence = _fill(template, c, rng)
        if has_prior and template in _CHRONIC and rng.random() < 0.4:  # "..., unchanged since ___."
            sentence = sentence[:-1] + rng.choice(ph.NEUTRAL_TAIL).replace("{prior}", c["prior"]) + "."
        keyed.append((rng.uniform(0.0, 6.0), sentence))
    ordered = [t for _, t in sorted((k + rng.uniform(0.0, 1.5), t) for k, t in keyed)]
    return _merge(rng, ordered, set(abnormal)), abnormal


#: Background findings that stay the same from study to study ("unchanged since ___"), unlike the film's
#: technique (rotation, limits) or a normal trachea.
_CHRONIC = frozenset(
    t for t in ph.NEUTRAL if not any(w in t for w in ("limit", "rotated", "trachea", "free [", "vasculature"))
)


def _merge(rng: random.Random, sentences: list[str], keep: set[str]) -> list[str]:
    """Neighbouring normal or negative sentences joined into one now and then, as radiologists write ("No
    pneumothorax is seen, and the lungs are clear."); the sentences in ``keep`` (findings) stay whole."""
    out: list[str] = []
    for sentence in sentences:
        last = out[-1] if out else None
        if (
            last is not None
            and last not in keep
            and sentence not in keep
            and last.endswith(".")
            and len(last) + len(sentence) < 120
            and rng.random() < 0.75
        ):
            out[-1] = f"{last[:-1]}{rng.choice((', and ', '; ', ', and '))}{_lower_first(sentence)}"
            keep.add(out[-1])  # at most two sentences in one
        else:
            out.append(sentence)
    return out


def _impression(rng: random.Random, values: dict[str, float], ctx: dict[str, dict], has_prior: bool):
    """The impression's items: a summary in its own words, not the findings' sentences."""
    normal = not any(
        values.get(c) in (1.0, -1.0) for c in CATEGORIES if c not in ("No Finding", "Support Devices")
    )
    if normal:
        items = [rng.choice(ph.NORMAL_IMPRESSION)]
        if has_prior and rng.random() < 0.4:
            items.append(rng.choice(ph.NORMAL_PRIOR))
        if values.get("Support Devices") == 1.0 and rng.random() < 0.5:
            items.insert(
                0, _fill(rng.choice(ph.SUMMARY["Support Devices"]), ctx["Support Devices"], rng) + "."
            )
        return items
    positive = [
        c for c in _URGENCY if values.get(c) == 1.0 and (c != "Support Devices" or rng.random() < 0.4)
    ]
    covered: set[str] = set()
    items: list[str] = []
    for names, template in ph.SUMMARY_COMBINED:
        if set(names) <= set(positive) - covered and rng.random() < 0.5:
            items.append(_fill(template, ctx[names[0]], rng))
            covered |= set(names)
    for name in positive:
        if name in covered:
            continue
        phrase = _fill(rng.choice(ph.SUMMARY[name]), ctx[name], rng)
        if has_prior and name != "Support Devices" and rng.random() < 0.45:
            phrase = f"{rng.choice(ph.SUMMARY_CHANGE)} {_lower_first(phrase)}"
        items.append(phrase)
    for name in (c for c in _URGENCY if values.get(c) == -1.0):
        noun = _fill(rng.choice(ph.SUMMARY[name]), ctx[name], rng)
        items.append(rng.choice(ph.SUMMARY_UNCERTAIN).format(noun=_lower_first(noun), Noun=noun))
    if len(items) > 2 and rng.random() < 0.15:  # a minor finding left to the findings
        items.pop()
    if rng.random() < 0.25:
        for name in ("Pneumothorax", "Pleural Effusion"):
            if values.get(name) == 0.0:
                items.append(f"No {ph.NEG_NOUN[name]}")
    return [item if item.endswith(".") else item + "." for item in items]


def _spelling(rng: random.Random, section: str) -> str:
    names, weights = zip(*ph.SPELLINGS[section])
    return rng.choices(names, weights)[0]


def write_report(
    rng: random.Random,
    row,
    *,
    portable: bool,
    n_images: int,
    has_prior: bool,
    labelled: bool = True,
    description: str | None = None,
    n_prior: int | None = None,
    when: tuple | None = None,
    prior_row=None,
) -> str:
    """A MIMIC-CXR style report whose findings and impression agree with the label ``row`` (14 floats).

    Every line starts with a space, blank lines are a single space, lines are at most 79 characters and
    identifiers are ``___``. ``labelled=False`` writes a report with neither findings nor impression (the few
    studies the CheXpert labeler skipped). ``n_prior`` (the patient's earlier studies) shapes the comparison
    section ("Multiple prior radiographs, most recently ___"). ``when`` is ``(clock, days, prior_clock)``: the
    study's time (``"HH:MM"``), and the days since the patient's previous study and that study's time (both
    ``None`` for a first study); references to the prior then name it as the real reports do ("since
    yesterday's radiograph", "compared to ___ at 06:42"). ``prior_row`` (14 floats) is the label row of the
    patient's previous study: only a finding positive there is said to have resolved ("The previously seen
    pneumothorax is no longer seen").

    Examples
    --------
    >>> row = [float("nan")] * 14
    >>> row[CATEGORIES.index("Pleural Effusion")] = 1.0
    >>> text = write_report(random.Random(3), row, portable=True, n_images=1, has_prior=True)
    >>> "effusion" in text.lower(), max(len(line) for line in text.splitlines()) <= 79
    (True, True)
    """
    n_prior = (1 if has_prior else 0) if n_prior is None else n_prior
    sep = "  " if rng.random() < 0.6 else " "
    exam = description or ("CHEST (PORTABLE AP)" if portable else "CHEST (PA AND LAT)")
    bank = (
        ph.TECHNIQUE_PORTABLE
        if portable
        else ph.TECHNIQUE_TWO_VIEWS
        if n_images >= 2
        else ph.TECHNIQUE_ONE_VIEW
    )
    technique = _fill(rng.choice(bank), _context(rng, False, when), rng)
    sex = rng.choice(("M", "F", "man", "woman", "male", "female"))
    complaint = rng.choice(ph.COMPLAINTS)
    if len(sex) == 1:
        indication = f"___{sex} with {complaint}  // {rng.choice(ph.QUESTIONS)}"
    else:
        indication = f"___-year-old {sex} with {complaint}.{sep}{rng.choice(ph.QUESTIONS).capitalize()}."
    if rng.random() < 0.55:
        indication = f"{indication}{sep}{rng.choice(ph.HISTORY_EXTRA)}"
    if n_prior >= 2 and rng.random() < 0.5:
        comparison = rng.choice(
            (
                "Multiple prior chest radiographs, most recently {prior}.",
                "___ and ___.",
                "Chest radiographs ___ through ___.",
            )
        ).replace("{prior}", _prior_ref(rng, when))
    elif n_prior and rng.random() < 0.4:
        ref = _prior_ref(rng, when)
        comparison = f"{ref[:1].upper()}{ref[1:]}."
    elif n_prior:
        comparison = rng.choice(("___", "Chest radiograph from ___.", "Prior study from ___.", "___."))
    else:
        comparison = rng.choice(("None.", "None", "No prior studies available.", "None available."))

    values = {name: row[j] for j, name in enumerate(CATEGORIES) if j != NO_FINDING and not math.isnan(row[j])}
    ctx = {name: _context(rng, has_prior, when) for name in CATEGORIES}
    before = (
        {name for j, name in enumerate(CATEGORIES) if prior_row[j] == 1.0}
        if has_prior and prior_row
        else set()
    )
    findings, abnormal = _findings(rng, values, ctx, has_prior, when, before)
    impression_items = _impression(rng, values, ctx, has_prior)
    normal = not math.isnan(row[NO_FINDING])
    numbered = len(impression_items) > 1 and rng.random() < 0.35

    paragraphs: list[str] = []  # each paragraph wrapped separately; "" makes a blank line

    def header_inline(name: str, text: str) -> None:
        paragraphs.append(f"{name}:{sep}{text}" if text else f"{name}:")
        paragraphs.append("")

    def header_block(name: str, body: list[str]) -> None:
        paragraphs.append(f"{name}: ")
        paragraphs.append("")
        for para in body:
            paragraphs.append(para)
            paragraphs.append("")

    def impression_body() -> list[str]:
        if numbered:
            return ["\n".join(f"{i}. {s}" for i, s in enumerate(impression_items, 1))]
        return [sep.join(impression_items)]

    _preface(rng, paragraphs, abnormal, sep, n_prior > 0)
    if rng.random() < 0.93:
        paragraphs.append("TITLE")

    structure = rng.choices([s for s, _ in _STRUCTURES], [w for _, w in _STRUCTURES])[0]
    p_exam, p_tech, p_ind, p_hist, p_comp = _HEADERS[structure]
    if not labelled:
        header_inline("EXAMINATION", exam)
        header_inline("INDICATION", indication)
        header_inline("TECHNIQUE", technique)
        header_inline("COMPARISON", comparison)
        paragraphs.append(
            "NOTIFICATION:" + sep + "The study was not interpreted; see the separate report ___."
        )
        return _render(paragraphs)
    if structure == "plain":  # no headers at all: the last paragraph carries the impression
        compared = (
            rng.choice(("Comparison is made to ___.", "Compared to ___."))
            if n_prior
            else rng.choice(("No prior.", ""))
        )
        paragraphs += [
            f"{technique}{sep}{compared}".rstrip(),
            "",
            sep.join(findings),
            "",
            sep.join(impression_items),
            "",
        ]
    else:
        if rng.random() < p_exam:
            header_inline(_spelling(rng, "EXAMINATION"), exam)
        has_ind = rng.random() < p_ind
        has_hist = rng.random() < p_hist or (structure != "modern" and not has_ind)
        if has_hist and structure == "modern":
            header_inline(_spelling(rng, "HISTORY"), indication)
        if has_ind:
            header_inline(_spelling(rng, "INDICATION"), indication)
        if has_hist and structure != "modern":
            text = indication if not has_ind else rng.choice(ph.HISTORY_EXTRA)
            header_inline(_spelling(rng, "HISTORY"), text)
        if rng.random() < p_tech:
            header_inline(_spelling(rng, "TECHNIQUE"), technique)
        if rng.random() < p_comp:
            header_inline(_spelling(rng, "COMPARISON"), comparison)
        if structure in ("modern", "findings"):
            name = _spelling(rng, "FINDINGS")
            if rng.random() < 0.5:
                header_block(name, _paragraphs(rng, findings, sep))
            else:
                header_inline(name, sep.join(findings))
        elif structure == "older":
            header_inline(_spelling(rng, "FINDINGS"), sep.join([technique] + findings))
        elif rng.random() < 0.2:  # the findings under a header naming the study
            header_inline(rng.choice(ph.STUDY_HEADERS), sep.join(findings))
            findings = []
        if structure == "impression" and findings:  # the findings text sits in the impression
            impression_items = [technique] + findings + impression_items
            numbered_here = False
        else:
            numbered_here = numbered
        if structure != "findings":
            name = _spelling(rng, "IMPRESSION")
            if structure == "impression" and rng.random() < 0.0015:
                name = "FINDINGS AND IMPRESSION"
            if numbered_here or rng.random() < 0.5:
                header_block(name, impression_body() if numbered_here else [sep.join(impression_items)])
            else:
                header_inline(name, sep.join(impression_items))
    if not normal and rng.random() < 0.016:
        name = "RECOMMENDATION(S)" if rng.random() < 0.75 else "RECOMMENDATIONS"
        header_inline(name, rng.choice(ph.RECOMMENDATIONS))
    if values.get("Pneumothorax") == 1.0 and rng.random() < 0.35 or (not normal and rng.random() < 0.025):
        header_inline(
            "NOTIFICATION",
            "The findings were discussed with ___, M.D. by ___, M.D. on the "
            f"telephone on ___ at {rng.randint(1, 12)}:{rng.randint(0, 59):02d} "
            f"{rng.choice(('am', 'pm'))}, {rng.randint(2, 30)} minutes after discovery "
            "of the findings.",
        )
    return _render(paragraphs)


def _preface(rng: random.Random, paragraphs: list[str], abnormal: list[str], sep: str, prior: bool) -> None:
    """A wet read or an addendum at the top, above a line of underscores, for a few reports (comparisons
    only when the patient has an earlier study)."""
    if rng.random() < 0.05:
        block = sep.join(abnormal[:2] or [rng.choice(ph.NORMAL_IMPRESSION)])
        when = f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(('AM', 'PM'))}"
        paragraphs += [f"WET READ: ___ ___ ___ {when}", " " + block, "RULE"]
    elif prior and rng.random() < 0.02:  # the long tail: a lengthy addendum comparing with several priors
        first = sep.join(
            _fill(t, _context(rng, True), rng) for t in rng.sample(ph.NEUTRAL, rng.randint(8, 20))
        )
        second = sep.join(
            ["Additional comparison was made with studies from ___, ___ and ___."]
            + [_fill(t, _context(rng, True), rng) for t in rng.sample(ph.NEUTRAL, rng.randint(4, 16))]
        )
        paragraphs += ["ADDENDUM:" + sep + first, "", second, "", "RULE"]
    elif rng.random() < 0.02:
        paragraphs += ["ADDENDUM:" + sep + rng.choice(ph.ADDENDA[: 3 if prior else 2]), "", "RULE"]


def _paragraphs(rng: random.Random, sentences: list[str], sep: str) -> list[str]:
    if len(sentences) <= 2 or rng.random() < 0.6:
        return [sep.join(sentences)]
    cut = rng.randrange(1, len(sentences))
    return [sep.join(sentences[:cut]), sep.join(sentences[cut:])]


def _render(paragraphs: list[str]) -> str:
    while paragraphs and paragraphs[-1] == "":
        paragraphs.pop()
    lines: list[str] = []
    for para in paragraphs:
        if para == "":
            lines.append(" ")
        elif para == "TITLE":
            lines.append(ph.TITLE)
        elif para == "RULE":
            lines.append(" " + ph.RULE)
        else:
            for raw in para.split("\n"):
                indent = " " if raw.startswith(" ") else ""
                lines.extend(" " + indent + line for line in wrap(raw.strip(), 78 - len(indent)))
    return "\n".join(lines) + "\n"
