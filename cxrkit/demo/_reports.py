"""MIMIC-CXR style reports written from a study's labels (private to :mod:`cxrkit.demo`).

The labels come first (:mod:`cxrkit.demo._labels`); :func:`write_report` then writes a report whose text
agrees with them: a positive category gets an affirmative sentence, a negative one a negated sentence, an
uncertain one a hedged sentence, and a blank one is not mentioned in the findings or impression.

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

from ._labels import CATEGORIES, NO_FINDING, SUPPORT

_IDX = {name: i for i, name in enumerate(CATEGORIES)}


# --- phrasing -------------------------------------------------------------------------------------------

_SIDES = ("right", "left", "bilateral")
_SEV = ("small", "moderate", "large", "trace", "small to moderate")
_MILD = ("mild", "moderate", "severe", "mild to moderate")

# Every positive/uncertain/negative phrase of a category names the category's key word, so text agrees
# with the labels. Negated phrases carry a negation cue ("no", "without", "not", "resolved", "removed").
POSITIVE = {
    "Atelectasis": [
        "There is {side} basilar atelectasis.",
        "{Mild} bibasilar atelectasis.",
        "Patchy opacity at the {side} base likely reflects atelectasis.",
        "Subsegmental atelectasis in the {side} lower lobe.",
        "Linear atelectasis at the {side} lung base.",
        "Plate-like atelectasis in the left mid lung.",
    ],
    "Cardiomegaly": [
        "The heart is enlarged.",
        "{Mild} cardiomegaly.",
        "Moderate cardiomegaly is again noted.",
        "The heart size is {mild}ly enlarged.",
        "Cardiomegaly is stable.",
        "Enlargement of the cardiac silhouette is unchanged.",
    ],
    "Consolidation": [
        "There is a focal consolidation in the {side} lower lobe.",
        "Dense consolidation in the right middle lobe.",
        "New consolidation at the {side} lung base.",
        "Left retrocardiac consolidation.",
    ],
    "Edema": [
        "{Mild} pulmonary edema.",
        "There is {mild} interstitial edema.",
        "Pulmonary vascular congestion with {mild} edema.",
        "Findings are consistent with {mild} pulmonary edema.",
        "Moderate pulmonary edema has worsened.",
    ],
    "Enlarged Cardiomediastinum": [
        "The cardiomediastinal silhouette is enlarged.",
        "Widening of the mediastinum.",
        "The mediastinum is widened, likely due to vascular engorgement.",
    ],
    "Fracture": [
        "An acute fracture of the {side} {ordinal} rib is seen.",
        "Healed fracture of the {side} clavicle.",
        "Displaced fracture of the {side} {ordinal} posterior rib.",
        "Compression fracture of a lower thoracic vertebral body.",
    ],
    "Lung Lesion": [
        "A {size} cm nodule in the {side} upper lobe.",
        "There is a {size} cm mass in the {side} hilum.",
        "Spiculated nodule in the right upper lobe measures {size} cm.",
        "Multiple pulmonary nodules are seen.",
    ],
    "Lung Opacity": [
        "There is patchy opacity at the {side} base.",
        "{Mild} bibasilar opacities.",
        "Hazy opacity in the {side} mid lung.",
        "Increased opacity at the right lung base.",
        "Streaky opacities in the lung bases.",
    ],
    "Pleural Effusion": [
        "There is a {sev} {side} pleural effusion.",
        "{Sev} {side} pleural effusion.",
        "{Sev} bilateral pleural effusions are unchanged.",
        "Blunting of the {side} costophrenic angle is due to a {sev} effusion.",
        "Layering {side} effusion.",
    ],
    "Pleural Other": [
        "{Side} apical pleural thickening.",
        "Calcified pleural plaques are noted.",
        "Pleural thickening along the {side} lateral chest wall.",
    ],
    "Pneumonia": [
        "Findings are concerning for pneumonia in the {side} lower lobe.",
        "{Side} lower lobe pneumonia.",
        "Multifocal pneumonia.",
        "Opacity in the right lower lobe is consistent with pneumonia.",
    ],
    "Pneumothorax": [
        "There is a {sev} {side} apical pneumothorax.",
        "{Sev} {side} pneumothorax.",
        "A {side} pneumothorax is present.",
        "Small right apical pneumothorax is unchanged.",
    ],
    "Support Devices": [
        "Endotracheal tube terminates {cm} cm above the carina.",
        "Right internal jugular central venous catheter ends in the mid SVC.",
        "Left-sided pacemaker with leads in the right atrium and right ventricle.",
        "An enteric tube courses below the diaphragm with its tip in the stomach.",
        "Right PICC line tip is in the low SVC.",
        "Median sternotomy wires and mediastinal clips are present.",
        "Nasogastric tube tip is in the stomach.",
    ],
}
UNCERTAIN = {
    "Atelectasis": [
        "{Side} basilar opacity may reflect atelectasis.",
        "Possible {side} basilar atelectasis.",
        "Probable atelectasis at the {side} base.",
    ],
    "Cardiomegaly": [
        "The heart may be mildly enlarged.",
        "Borderline cardiomegaly.",
        "Possible mild cardiomegaly, accentuated by low lung volumes.",
    ],
    "Consolidation": [
        "Possible early consolidation at the {side} base.",
        "Cannot exclude consolidation in the left lower lobe.",
    ],
    "Edema": [
        "Possible mild pulmonary edema.",
        "Cannot exclude mild interstitial edema.",
        "Prominence of the interstitial markings may reflect mild edema.",
    ],
    "Enlarged Cardiomediastinum": [
        "The mediastinum may be slightly widened.",
        "Possible widening of the cardiomediastinal silhouette, likely due to technique.",
    ],
    "Fracture": [
        "Possible nondisplaced fracture of the {side} {ordinal} rib.",
        "Cannot exclude a {side} rib fracture.",
    ],
    "Lung Lesion": [
        "Possible nodule in the {side} upper lobe.",
        "A nodular density may represent a nipple shadow.",
    ],
    "Lung Opacity": [
        "Possible subtle opacity at the {side} base.",
        "Questionable opacity in the left lower lobe.",
    ],
    "Pleural Effusion": [
        "Possible small {side} pleural effusion.",
        "Cannot exclude a small {side} effusion.",
        "Blunting of the costophrenic angle may reflect a small effusion.",
    ],
    "Pleural Other": ["Possible {side} pleural thickening."],
    "Pneumonia": [
        "Possible early pneumonia.",
        "Cannot exclude pneumonia in the {side} lower lobe.",
        "Opacity at the {side} base could represent pneumonia in the appropriate clinical setting.",
    ],
    "Pneumothorax": [
        "Possible tiny {side} apical pneumothorax.",
        "Cannot exclude a small {side} pneumothorax.",
    ],
    "Support Devices": ["A catheter possibly terminates in the right atrium."],
}
NEGATIVE = {
    "Atelectasis": ["No atelectasis.", "Previously seen atelectasis has resolved."],
    "Cardiomegaly": [
        "Heart size is normal.",
        "No cardiomegaly.",
        "The heart is not enlarged.",
        "Normal heart size.",
    ],
    "Consolidation": [
        "No focal consolidation.",
        "There is no focal consolidation.",
        "No evidence of consolidation.",
        "There is no consolidation.",
    ],
    "Edema": ["No pulmonary edema.", "There is no pulmonary edema.", "No evidence of edema."],
    "Enlarged Cardiomediastinum": [
        "The cardiomediastinal silhouette is not enlarged.",
        "No mediastinal widening.",
    ],
    "Fracture": ["No acute rib fracture.", "No displaced fracture is seen."],
    "Lung Lesion": ["No suspicious pulmonary nodule.", "No discrete nodule or mass."],
    "Lung Opacity": ["No new opacity.", "There is no focal opacity."],
    "Pleural Effusion": [
        "No pleural effusion.",
        "There is no pleural effusion.",
        "No pleural effusions.",
        "No evidence of pleural effusion.",
        "The costophrenic angles are sharp without effusion.",
    ],
    "Pleural Other": ["No pleural thickening."],
    "Pneumonia": ["No evidence of pneumonia.", "No radiographic evidence of pneumonia.", "No pneumonia."],
    "Pneumothorax": [
        "No pneumothorax.",
        "There is no pneumothorax.",
        "No evidence of pneumothorax.",
        "No pneumothorax is seen.",
    ],
    "Support Devices": ["The endotracheal tube has been removed.", "No lines or tubes are seen."],
}
# short nouns for combined negatives: "No pleural effusion, pneumothorax or focal consolidation."
_NEG_NOUN = {
    "Pleural Effusion": "pleural effusion",
    "Pneumothorax": "pneumothorax",
    "Consolidation": "focal consolidation",
    "Edema": "pulmonary edema",
    "Pneumonia": "pneumonia",
}
_VERSUS = [
    ("Atelectasis", "Pneumonia", "{Side} basilar opacity, atelectasis versus pneumonia."),
    ("Atelectasis", "Consolidation", "Atelectasis versus consolidation at the {side} base."),
    ("Edema", "Pneumonia", "Diffuse opacities may reflect edema or pneumonia."),
]
NORMAL_IMPRESSION = [
    "No acute cardiopulmonary process.",
    "No acute cardiopulmonary abnormality.",
    "No acute intrathoracic process.",
    "No evidence of acute disease.",
    "Normal chest radiograph.",
    "No acute findings.",
]
_CLEAR_LUNGS = [
    "The lungs are clear.",
    "Lungs are well expanded and clear.",
    "The lungs are clear bilaterally.",
]
_NEUTRAL = [
    "The hila are unremarkable.",
    "Degenerative changes are seen in the thoracic spine.",
    "The imaged upper abdomen is unremarkable.",
    "Calcification of the aortic knob is noted.",
    "Surgical clips are noted in the right upper quadrant.",
    "Low lung volumes.",
    "The patient is slightly rotated.",
    "Mild tortuosity of the thoracic aorta.",
    "Bilateral nipple shadows are noted.",
    "Lung volumes are low, with crowding of the bronchovascular markings.",
    "The aorta is calcified and tortuous.",
    "There is a small hiatal hernia.",
    "The trachea is midline.",
    "Mild degenerative changes of both shoulders.",
    "Cholecystectomy clips are seen in the right upper quadrant.",
    "Assessment of the lung apices is limited by overlying soft tissue.",
    "The study is limited by patient rotation and low lung volumes.",
    "There is no free air under the diaphragms.",
    "Mild elevation of the right hemidiaphragm.",
    "The pulmonary vasculature is within normal limits.",
    "Evaluation of the left lung base is limited by overlying soft tissue.",
    "Exaggerated kyphosis of the thoracic spine.",
    "Dense calcification of the mitral annulus.",
    "Coarse interstitial markings are chronic.",
]
_NEUTRAL_PRIOR = [
    "Compared to the prior study, there is no significant interval change.",
    "As compared to the previous radiograph, the lung volumes have slightly decreased.",
    "Re-demonstration of a rounded density over the left upper abdomen, likely colonic content.",
    "Otherwise, little change since the prior exam.",
]
_NEUTRAL_LATERAL = [
    "Lateral view is somewhat limited due to overlying motion artifact.",
    "The lateral view confirms the findings.",
]
# Where a category's sentence sits in the findings: devices, lungs, pleura, heart and mediastinum, bones.
_ORDER = {
    "Support Devices": 0.0,
    "Lung Opacity": 1.0,
    "Consolidation": 1.0,
    "Pneumonia": 1.2,
    "Atelectasis": 1.5,
    "Edema": 2.0,
    "Lung Lesion": 2.5,
    "Pleural Effusion": 3.0,
    "Pneumothorax": 3.5,
    "Pleural Other": 3.5,
    "Cardiomegaly": 4.0,
    "Enlarged Cardiomediastinum": 4.2,
    "Fracture": 5.0,
}
_COMPLAINTS = [
    "shortness of breath",
    "chest pain",
    "fever and cough",
    "hypoxia",
    "s/p fall",
    "tachycardia",
    "productive cough",
    "altered mental status",
    "dyspnea on exertion",
    "weakness",
    "hemoptysis",
    "sepsis",
    "pre-operative evaluation",
    "abdominal pain and fever",
    "syncope",
]
_QUESTIONS = [
    "eval for pneumonia",
    "evaluate for infiltrate",
    "assess for interval change",
    "eval for acute process",
    "r/o pneumothorax",
    "eval for effusion",
    "assess tube placement",
    "evaluate for edema",
    "any acute process?",
]
_HISTORY_EXTRA = [
    "History of CHF and COPD on home oxygen.",
    "Recent intubation for airway protection.",
    "History of lung cancer status post right upper lobectomy.",
    "Patient with end-stage renal disease on hemodialysis, now with worsening dyspnea.",
    "Status post CABG ___ with new onset atrial fibrillation.",
    "Known metastatic breast cancer, on chemotherapy.",
    "Recent travel, fevers to 102.",
    "Transfer from outside hospital for further management.",
    "Elevated white count and new oxygen requirement.",
    "Smoker, 40 pack-years.",
]
_ORDINALS = ("fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
_TITLE = " " * 33 + "FINAL REPORT"
_RULE = "_" * 78


def _fill(rng: random.Random, template: str) -> str:
    if "{" not in template:
        return template
    side = rng.choice(_SIDES[:2])
    sev = rng.choice(_SEV)
    mild = rng.choice(_MILD)
    return template.format(
        side=side,
        Side=side.capitalize(),
        sev=sev,
        Sev=sev.capitalize(),
        mild=mild,
        Mild=mild.capitalize(),
        ordinal=rng.choice(_ORDINALS),
        size=f"{rng.uniform(0.6, 3.5):.1f}",
        cm=rng.choice(("3", "4", "4.5", "5")),
    )


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


def _category_sentences(rng: random.Random, row) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """Sentences for every mentioned category with their place in the findings: ``(abnormal, negative)``."""
    values = {name: row[j] for j, name in enumerate(CATEGORIES) if j != NO_FINDING and not math.isnan(row[j])}
    abnormal: list[tuple[float, str]] = []
    negatives: list[tuple[float, str]] = []
    uncertain = [n for n, v in values.items() if v == -1.0]
    for a, b, template in _VERSUS:
        if a in uncertain and b in uncertain and rng.random() < 0.6:
            abnormal.append((1.5, _fill(rng, template)))
            uncertain.remove(a)
            uncertain.remove(b)
    for name, v in values.items():
        if v == 1.0:
            abnormal.append((_ORDER[name], _fill(rng, rng.choice(POSITIVE[name]))))
        elif v == -1.0 and name in uncertain:
            abnormal.append((_ORDER[name], _fill(rng, rng.choice(UNCERTAIN[name]))))
    neg = [n for n, v in values.items() if v == 0.0]
    combinable = [n for n in neg if n in _NEG_NOUN]
    if len(combinable) >= 2 and rng.random() < 0.6:
        rng.shuffle(combinable)
        nouns = [_NEG_NOUN[n] for n in combinable]
        last = rng.choice((" or ", ", or ")) if len(nouns) > 2 else " or "
        head = ", ".join(nouns[:-1]) + last + nouns[-1]
        negatives.append((3.0, rng.choice(("No ", "There is no ", "No evidence of ")) + head + "."))
        neg = [n for n in neg if n not in combinable]
    for name in neg:
        negatives.append((_ORDER[name], _fill(rng, rng.choice(NEGATIVE[name]))))
    rng.shuffle(abnormal)
    return abnormal, negatives


def _join(rng: random.Random, sentences: list[str], sep: str) -> str:
    return sep.join(s for s in sentences if s)


def write_report(
    rng: random.Random,
    row,
    *,
    portable: bool,
    n_images: int,
    has_prior: bool,
    labelled: bool = True,
    description: str | None = None,
) -> str:
    """A MIMIC-CXR style report whose findings and impression agree with the label ``row`` (14 floats).

    Every line starts with a space, blank lines are a single space, lines are at most 79 characters and
    identifiers are ``___``. ``labelled=False`` writes a report with neither findings nor impression (the few
    studies the CheXpert labeler skipped).

    Examples
    --------
    >>> row = [float("nan")] * 14
    >>> row[CATEGORIES.index("Pleural Effusion")] = 1.0
    >>> text = write_report(random.Random(3), row, portable=True, n_images=1, has_prior=True)
    >>> "effusion" in text.lower(), max(len(line) for line in text.splitlines()) <= 79
    (True, True)
    """
    sep = "  " if rng.random() < 0.6 else " "
    exam = description or ("CHEST (PORTABLE AP)" if portable else "CHEST (PA AND LAT)")
    if portable:
        technique = rng.choice(
            (
                "Portable AP chest radiograph.",
                "Portable semi-upright AP view of the chest.",
                "AP portable upright view of the chest.",
                "Single frontal view of the chest.",
            )
        )
    elif n_images >= 2:
        technique = rng.choice(
            (
                "Chest PA and lateral",
                "PA and lateral views of the chest.",
                "Frontal and lateral views of the chest.",
            )
        )
    else:
        technique = rng.choice(("PA view of the chest.", "Single frontal view of the chest."))
    sex = rng.choice(("M", "F", "man", "woman", "male", "female"))
    complaint = rng.choice(_COMPLAINTS)
    if len(sex) == 1:
        indication = f"___{sex} with {complaint}  // {rng.choice(_QUESTIONS)}"
    else:
        indication = f"___-year-old {sex} with {complaint}.{sep}{rng.choice(_QUESTIONS).capitalize()}."
    if rng.random() < 0.55:
        indication = f"{indication}{sep}{rng.choice(_HISTORY_EXTRA)}"
    comparison = (
        rng.choice(("___", "Chest radiograph from ___.", "Prior study from ___.", "___ and ___."))
        if has_prior
        else rng.choice(("None.", "None", "No prior studies available."))
    )

    normal = not math.isnan(row[NO_FINDING])
    keyed, keyed_negatives = _category_sentences(rng, row)
    abnormal = [sentence for _, sentence in keyed]
    opacity_family = [
        _IDX[c] for c in ("Atelectasis", "Consolidation", "Edema", "Lung Lesion", "Lung Opacity", "Pneumonia")
    ]
    lungs_clear = all(math.isnan(row[j]) or row[j] == 0.0 for j in opacity_family)
    keyed = keyed + keyed_negatives
    if lungs_clear and rng.random() < 0.6:
        keyed.append((1.0, rng.choice(_CLEAR_LUNGS)))
    neutral = (
        _NEUTRAL
        + (_NEUTRAL_PRIOR if has_prior else [])
        + (_NEUTRAL_LATERAL if n_images >= 2 and not portable else [])
    )
    extra = min(int(rng.expovariate(1 / 3.8)), 24)
    keyed += [(rng.uniform(0.0, 6.0), sentence) for sentence in rng.sample(neutral, min(extra, len(neutral)))]
    # roughly anatomical order (devices, lungs, pleura, heart, bones), with some freedom
    findings = [sentence for _, sentence in sorted((k + rng.uniform(0.0, 1.5), t) for k, t in keyed)]
    if normal:
        impression_items = [rng.choice(NORMAL_IMPRESSION)]
        devices = row[SUPPORT] == 1.0
        if devices and rng.random() < 0.5:
            impression_items.insert(0, _fill(rng, rng.choice(POSITIVE["Support Devices"])))
    else:
        impression_items = [s for s in abnormal] or [rng.choice(NORMAL_IMPRESSION)]
        if rng.random() < 0.3:
            impression_items = impression_items[: max(1, len(impression_items) - 1)]
            # the dropped sentence still sits in the findings
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
        return [_join(rng, impression_items, sep)]

    u = rng.random()
    if rng.random() < 0.05:  # wet read at the top
        block = _join(rng, abnormal[:2] or [rng.choice(NORMAL_IMPRESSION)], sep)
        paragraphs.append(
            f"WET READ: ___ ___ ___ {rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(('AM', 'PM'))}"
        )
        paragraphs.append(" " + block)
        paragraphs.append("RULE")
    elif rng.random() < 0.015:  # the long tail: a lengthy addendum comparing with several priors
        paragraphs.append(
            "ADDENDUM:" + sep + _join(rng, rng.sample(_NEUTRAL, rng.randint(8, min(24, len(_NEUTRAL)))), sep)
        )
        paragraphs.append("")
        paragraphs.append(
            _join(
                rng,
                ["Additional comparison was made with studies from ___, ___ and ___."]
                + rng.sample(_NEUTRAL, rng.randint(4, min(20, len(_NEUTRAL)))),
                sep,
            )
        )
        paragraphs.append("")
        paragraphs.append("RULE")
    elif rng.random() < 0.02:
        paragraphs.append(
            "ADDENDUM:"
            + sep
            + rng.choice(
                (
                    "The findings were discussed with Dr. ___ by Dr. ___ on the telephone on ___ at ___.",
                    (
                        "Of note, the study was reviewed again at the request of the clinical team; "
                        "the impression is unchanged."
                    ),
                    "Correction: the comparison study is dated ___.",
                )
            )
        )
        paragraphs.append("")
        paragraphs.append("RULE")
    if rng.random() < 0.93:
        paragraphs.append("TITLE")

    if not labelled:
        header_inline("EXAMINATION", exam)
        header_inline("INDICATION", indication)
        header_inline("TECHNIQUE", technique)
        header_inline("COMPARISON", comparison)
        paragraphs.append(
            "NOTIFICATION:" + sep + "The study was not interpreted; see the separate report ___."
        )
    elif u < 0.45:  # modern full template
        header_inline("EXAMINATION", exam)
        header_inline("INDICATION", indication)
        header_inline("TECHNIQUE", technique)
        header_inline("COMPARISON", comparison)
        if rng.random() < 0.5:
            header_block("FINDINGS", _paragraphs(rng, findings, sep))
        else:
            header_inline("FINDINGS", _join(rng, findings, sep))
        header_block("IMPRESSION", impression_body())
    elif u < 0.72:  # older template: history, comparison, findings, impression
        name = rng.choice(("HISTORY", "CLINICAL HISTORY", "REASON FOR EXAM", "INDICATION", "HISTORY"))
        header_inline(name, indication)
        if rng.random() < 0.7:
            header_inline("COMPARISON", comparison)
        header_inline("FINDINGS", _join(rng, [technique] + findings, sep))
        header_inline(
            rng.choice(("IMPRESSION", "IMPRESSION", "CONCLUSION")), _join(rng, impression_items, sep)
        )
    elif u < 0.8:  # impression only
        header_inline(rng.choice(("INDICATION", "HISTORY")), indication)
        header_inline("COMPARISON", comparison)
        name = rng.choice(("IMPRESSION", "FINDINGS AND IMPRESSION", "IMPRESSION"))
        header_block(name, [_join(rng, [technique] + findings, sep)])
    elif u < 0.94:  # findings only
        header_inline("EXAMINATION", exam)
        header_inline("INDICATION", indication)
        header_inline("COMPARISON", comparison)
        header_block("FINDINGS", _paragraphs(rng, findings, sep))
    else:  # no headers at all: the last paragraph carries the impression
        compared = (
            rng.choice(("Comparison is made to ___.", "Compared to ___."))
            if has_prior
            else rng.choice(("No prior.", ""))
        )
        paragraphs.append(f"{technique}{sep}{compared}".rstrip())
        paragraphs.append("")
        paragraphs.append(_join(rng, findings, sep))
        paragraphs.append("")
        paragraphs.append(_join(rng, impression_items, sep))
        paragraphs.append("")
    if labelled and not normal and rng.random() < 0.06:
        name = rng.choice(("RECOMMENDATION(S)", "RECOMMENDATION(S)", "RECOMMENDATIONS"))
        header_inline(
            name,
            rng.choice(
                (
                    "Follow-up chest radiograph after treatment is recommended.",
                    "Chest CT is recommended for further evaluation.",
                    "Repeat radiograph in ___ weeks.",
                )
            ),
        )
    if labelled and (row[_IDX["Pneumothorax"]] == 1.0 or (not normal and rng.random() < 0.05)):
        header_inline(
            "NOTIFICATION",
            "The findings were discussed with ___, M.D. by ___, M.D. on the "
            f"telephone on ___ at {rng.randint(1, 12)}:{rng.randint(0, 59):02d} "
            f"{rng.choice(('am', 'pm'))}, {rng.randint(2, 30)} minutes after discovery "
            "of the findings.",
        )
    return _render(paragraphs)


def _paragraphs(rng: random.Random, sentences: list[str], sep: str) -> list[str]:
    if len(sentences) <= 2 or rng.random() < 0.6:
        return [_join(rng, sentences, sep)]
    cut = rng.randrange(1, len(sentences))
    return [_join(rng, sentences[:cut], sep), _join(rng, sentences[cut:], sep)]


def _render(paragraphs: list[str]) -> str:
    while paragraphs and paragraphs[-1] == "":
        paragraphs.pop()
    lines: list[str] = []
    for para in paragraphs:
        if para == "":
            lines.append(" ")
        elif para == "TITLE":
            lines.append(_TITLE)
        elif para == "RULE":
            lines.append(" " + _RULE)
        else:
            for raw in para.split("\n"):
                indent = " " if raw.startswith(" ") else ""
                lines.extend(" " + indent + line for line in wrap(raw.strip(), 78 - len(indent)))
    return "\n".join(lines) + "\n"
