"""Phrase banks of the demo's reports (private to :mod:`cxrkit.demo`): sentences per label and state, the
impression's summary phrases, neutral findings, indications, and the header vocabulary with its real
frequencies.

Every positive, uncertain or negative phrase of a category names the category's key word, so text agrees with
the labels; negated phrases carry a negation cue ("no", "without", "not", "resolved", "removed"); uncertain
ones a hedge ("possible", "may", "cannot exclude"). Slots in braces are filled per report and per category
(:func:`cxrkit.demo._reports.write_report`), so the findings and the impression name the same side and size.

Examples
--------
>>> all("effusion" in t.lower() for t in POSITIVE["Pleural Effusion"])
True
"""

from __future__ import annotations

SIDES = ("right", "left", "bilateral")
SEV = ("small", "moderate", "large", "trace", "small to moderate")
MILD = ("mild", "moderate", "severe", "mild to moderate")

# Every positive/uncertain/negative phrase of a category names the category's key word, so text agrees
# with the labels. Negated phrases carry a negation cue ("no", "without", "not", "resolved", "removed").
POSITIVE = {
    "Atelectasis": [
        "There is {side} basilar atelectasis.",
        "{Mild} bibasilar atelectasis.",
        "Patchy opacity at the {side} base likely reflects atelectasis.",
        "Subsegmental atelectasis in the {side} lower lobe.",
        "Linear atelectasis at the {side} lung base.",
        "Plate-like atelectasis in the {side} mid lung.",
        "{Mild} atelectasis at the {side} lung base{change}.",
        "Streaky {side} basilar opacity is consistent with atelectasis.",
        "Retrocardiac opacity likely reflects atelectasis{change}.",
        "{Mild} {side} lower lobe atelectasis{change}.",
        "Volume loss at the {side} base with {mild} atelectasis.",
    ],
    "Cardiomegaly": [
        "The heart is {mild}ly enlarged{change}.",
        "{Mild} cardiomegaly{change}.",
        "{Mild} enlargement of the cardiac silhouette{change}.",
        "The heart size is {mild}ly enlarged.",
        "Cardiomegaly is {stable}.",
        "Enlargement of the cardiac silhouette is {stable}.",
        "There is {mild} cardiomegaly with a {heartshape} configuration.",
        "The cardiac silhouette is enlarged{change}.",
    ],
    "Consolidation": [
        "There is a focal consolidation in the {side} {lobe}{change}.",
        "Dense consolidation in the {side} {lobe}.",
        "{New} consolidation at the {side} lung base.",
        "{Side} retrocardiac consolidation{change}.",
        "Consolidation in the {side} {lobe} with air bronchograms.",
        "Patchy consolidation at the {side} base{change}.",
    ],
    "Edema": [
        "{Mild} pulmonary edema{change}.",
        "There is {mild} interstitial edema{change}.",
        "Pulmonary vascular congestion with {mild} edema.",
        "Findings are consistent with {mild} pulmonary edema.",
        "{Mild} pulmonary edema has {worsened}.",
        "{Mild} interstitial pulmonary edema with perihilar haziness.",
        "Cephalization of the pulmonary vessels and {mild} edema{change}.",
        "Diffuse hazy opacities are consistent with {mild} pulmonary edema.",
    ],
    "Enlarged Cardiomediastinum": [
        "The cardiomediastinal silhouette is enlarged{change}.",
        "Widening of the mediastinum{change}.",
        "The mediastinum is widened, likely due to {widecause}.",
        "The superior mediastinum is widened{change}.",
        "Enlargement of the cardiomediastinal silhouette, partly due to {widecause}.",
    ],
    "Fracture": [
        "An acute fracture of the {side} {ordinal} rib is seen.",
        "Healed fracture of the {side} clavicle.",
        "Displaced fracture of the {side} {ordinal} posterior rib.",
        "Compression fracture of a {spine} vertebral body{change}.",
        "Old healed fractures of the {side} {ordinal} and {ordinal2} ribs.",
        "Nondisplaced fracture of the {side} {ordinal} lateral rib.",
    ],
    "Lung Lesion": [
        "A {size} cm nodule in the {side} {lobe}{change}.",
        "There is a {size} cm mass in the {side} hilum.",
        "Spiculated nodule in the {side} {lobe} measures {size} cm.",
        "Multiple pulmonary nodules are seen, the largest {size} cm in the {side} {lobe}.",
        "A {size} cm rounded opacity in the {side} {lobe} could be a nodule or mass.",
    ],
    "Lung Opacity": [
        "There is patchy opacity at the {side} base{change}.",
        "{Mild} bibasilar opacities{change}.",
        "Hazy opacity in the {side} mid lung.",
        "Increased opacity at the {side} lung base{change}.",
        "Streaky opacities in the lung bases.",
        "Ill-defined opacity in the {side} {lobe}{change}.",
        "Patchy airspace opacity in the {side} {lobe}.",
        "{Mild} opacification of the {side} lung base{change}.",
    ],
    "Pleural Effusion": [
        "There is a {sev} {side} pleural effusion{change}.",
        "{Sev} {side} pleural effusion{change}.",
        "{Sev} bilateral pleural effusions{change}.",
        "Blunting of the {side} costophrenic angle is due to a {sev} effusion.",
        "Layering {side} effusion{change}.",
        "A {sev} {side} pleural effusion with adjacent compressive changes.",
        "{Sev} {side} and {sev2} {other} pleural effusions{change}.",
        "Meniscus sign at the {side} base from a {sev} pleural effusion.",
    ],
    "Pleural Other": [
        "{Side} apical pleural thickening{change}.",
        "Calcified pleural plaques are noted along the {side} hemithorax.",
        "Pleural thickening along the {side} lateral chest wall.",
        "Blunting of the {side} costophrenic angle from chronic pleural thickening.",
    ],
    "Pneumonia": [
        "Findings are concerning for pneumonia in the {side} {lobe}.",
        "{Side} {lobe} pneumonia{change}.",
        "Multifocal pneumonia{change}.",
        "Opacity in the {side} {lobe} is consistent with pneumonia.",
        "{Side} basilar opacity is compatible with pneumonia{change}.",
        "Airspace opacity in the {side} {lobe} reflects pneumonia.",
    ],
    "Pneumothorax": [
        "There is a {sev} {side} apical pneumothorax{change}.",
        "{Sev} {side} pneumothorax{change}.",
        "A {side} pneumothorax is present, measuring {size} cm at the apex.",
        "{Sev} {side} apical pneumothorax{change}.",
        "{Sev} {side} basilar pneumothorax.",
    ],
    "Support Devices": [
        "Endotracheal tube terminates {cm} cm above the carina.",
        "{Side} internal jugular central venous catheter ends in the {svc}.",
        "{Side}-sided pacemaker with leads in the right atrium and right ventricle.",
        "{Side}-sided dual-chamber pacemaker device with leads in standard position.",
        "An enteric tube courses below the diaphragm with its tip in the {gut}.",
        "{Side} PICC line tip is in the {svc}.",
        "{Side}-sided PICC line terminates at the {svc}.",
        "Median sternotomy wires and mediastinal clips are present.",
        "Nasogastric tube tip is in the {gut}.",
        "Endotracheal tube tip is {cm} cm from the carina, and an orogastric tube ends in the {gut}.",
        "A {side} chest tube is in place with its tip at the apex.",
        "Swan-Ganz catheter tip is in the {side} pulmonary artery.",
        "Tracheostomy tube in standard position.",
        "{Side} subclavian line terminates in the {svc}.",
    ],
}
UNCERTAIN = {
    "Atelectasis": [
        "{Side} basilar opacity may reflect atelectasis.",
        "Possible {side} basilar atelectasis.",
        "Probable atelectasis at the {side} base.",
        "{Side} basilar opacity could reflect atelectasis{change}.",
    ],
    "Cardiomegaly": [
        "The heart may be mildly enlarged.",
        "Borderline cardiomegaly.",
        "Possible mild cardiomegaly, accentuated by {technique}.",
        "The heart size is {stable}, possibly mildly enlarged.",
    ],
    "Consolidation": [
        "Possible early consolidation at the {side} base.",
        "Cannot exclude consolidation in the {side} {lobe}.",
        "Subtle opacity in the {side} {lobe} may represent consolidation.",
    ],
    "Edema": [
        "Possible mild pulmonary edema.",
        "Cannot exclude mild interstitial edema.",
        "Prominence of the interstitial markings may reflect mild edema.",
        "Possible mild vascular congestion and edema{change}.",
    ],
    "Enlarged Cardiomediastinum": [
        "The mediastinum may be slightly widened.",
        "Possible widening of the cardiomediastinal silhouette, likely due to {widecause}.",
        "The mediastinal contour is possibly widened, likely due to {technique}.",
    ],
    "Fracture": [
        "Possible nondisplaced fracture of the {side} {ordinal} rib.",
        "Cannot exclude a {side} rib fracture.",
    ],
    "Lung Lesion": [
        "Possible nodule in the {side} {lobe}.",
        "A nodular density at the {side} base may represent a nipple shadow.",
    ],
    "Lung Opacity": [
        "Possible subtle opacity at the {side} base.",
        "Questionable opacity in the {side} {lobe}.",
    ],
    "Pleural Effusion": [
        "Possible small {side} pleural effusion.",
        "Cannot exclude a small {side} effusion.",
        "Blunting of the {side} costophrenic angle may reflect a small effusion.",
        "Possible trace {side} pleural effusion{change}.",
    ],
    "Pleural Other": ["Possible {side} pleural thickening."],
    "Pneumonia": [
        "Possible early pneumonia.",
        "Cannot exclude pneumonia in the {side} {lobe}.",
        "Opacity at the {side} base could represent pneumonia in the appropriate clinical setting.",
        "{Side} basilar opacity may reflect aspiration or pneumonia.",
        "Possible developing pneumonia at the {side} base.",
        "Early pneumonia in the {side} {lobe} cannot be excluded.",
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
NEG_NOUN = {
    "Pleural Effusion": "pleural effusion",
    "Pneumothorax": "pneumothorax",
    "Consolidation": "focal consolidation",
    "Edema": "pulmonary edema",
    "Pneumonia": "pneumonia",
}
VERSUS = [
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
CLEAR_LUNGS = [
    "The lungs are clear.",
    "Lungs are well expanded and clear.",
    "The lungs are clear bilaterally.",
]
NEUTRAL = [
    "The hila are {hila}.",
    "Degenerative changes are seen in the {spinepart} spine.",
    "The imaged upper abdomen is unremarkable.",
    "Calcification of the aortic knob is noted.",
    "Surgical clips are noted in the {quadrant}.",
    "Lung volumes are {lowvol}.",
    "The patient is {rotated}.",
    "{Mild} tortuosity of the thoracic aorta.",
    "Bilateral nipple shadows are noted.",
    "Lung volumes are {lowvol}, with crowding of the bronchovascular markings.",
    "The aorta is calcified and tortuous.",
    "There is a {sev} hiatal hernia.",
    "The trachea is midline.",
    "{Mild} degenerative changes of the {side} shoulder.",
    "Cholecystectomy clips are seen in the right upper quadrant.",
    "Assessment of the lung apices is limited by {limit}.",
    "The study is limited by {limit}.",
    "There is no free air under the diaphragms.",
    "{Mild} elevation of the {side} hemidiaphragm.",
    "The pulmonary vasculature is within normal limits.",
    "Evaluation of the {side} lung base is limited by {limit}.",
    "Exaggerated kyphosis of the thoracic spine.",
    "Dense calcification of the mitral annulus.",
    "Coarse interstitial markings are chronic.",
    "A calcified granuloma projects over the {side} {lobe}.",
    "The osseous structures are {osseous}.",
    "Postoperative changes of the {side} {lobe}.",
    "{Mild} hyperinflation of the lungs.",
    "Skin folds project over the {side} hemithorax.",
    "Anterior cervical fusion hardware is partially imaged.",
    "{Side} shoulder arthroplasty is partially imaged.",
    "Vascular stent projects over the {side} {lobe}.",
]
NEUTRAL_PRIOR = [
    "Compared to the prior study, there is no significant interval change.",
    "As compared to the previous radiograph, the lung volumes have slightly decreased.",
    "Re-demonstration of a rounded density over the left upper abdomen, likely colonic content.",
    "Otherwise, little change since the prior exam.",
]
NEUTRAL_LATERAL = [
    "Lateral view is somewhat limited due to overlying motion artifact.",
    "The lateral view confirms the findings.",
]
# Where a category's sentence sits in the findings: devices, lungs, pleura, heart and mediastinum, bones.
ORDER = {
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
COMPLAINTS = [
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
QUESTIONS = [
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
HISTORY_EXTRA = [
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
ORDINALS = ("third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
HILA = ("unremarkable", "normal", "normal in size", "within normal limits", "prominent, likely vascular")
SPINEPART = ("thoracic", "lower thoracic", "lower cervical", "thoracolumbar")
QUADRANT = ("right upper quadrant", "left upper quadrant", "epigastrium", "left axilla", "right axilla")
LOWVOL = ("low", "slightly low", "diminished", "lower than on the prior study", "preserved")
ROTATED = ("slightly rotated", "rotated to the right", "rotated to the left", "somewhat lordotic")
LIMIT = (
    "overlying soft tissue",
    "patient rotation",
    "low lung volumes",
    "motion",
    "the patient's chin",
    "the portable technique",
    "overlying hardware",
)
OSSEOUS = ("unremarkable", "diffusely demineralized", "intact", "without acute abnormality")
LOBES = ("lower lobe", "lower lobe", "upper lobe")
SVC = (
    "mid SVC",
    "low SVC",
    "upper SVC",
    "cavoatrial junction",
    "proximal right atrium",
    "brachiocephalic vein",
)
GUT = ("stomach", "stomach", "proximal duodenum", "gastric fundus", "distal stomach")
SPINE = ("mid thoracic", "lower thoracic", "upper lumbar", "thoracolumbar junction")
WIDECAUSE = (
    "vascular engorgement",
    "AP technique",
    "tortuosity of the aorta",
    "mediastinal fat",
    "low lung volumes",
)
TECHNIQUES = ("low lung volumes", "AP technique", "the portable technique", "patient rotation")
HEARTSHAPE = ("left ventricular", "globular", "mitral", "biventricular")
STABLE = ("stable", "unchanged", "similar to the prior study", "essentially unchanged")
WORSENED = ("worsened", "increased", "progressed slightly", "improved slightly", "decreased")
#: Said of a finding seen on a prior study (only when the patient has one); never a negation cue.
CHANGE = (
    ", unchanged",
    ", unchanged since ___",
    ", new since ___",
    ", new compared to the prior study",
    ", slightly larger than on ___",
    ", slightly smaller than on the prior radiograph",
    ", similar to ___",
    ", increased since the prior radiograph",
    ", decreased compared to ___",
    ", essentially unchanged",
    ", stable since ___",
    ", minimally improved since ___",
    ", somewhat worse than on the prior study",
    ", increased compared to ___",
)
#: Said of a finding on a patient's first study.
CHANGE_FIRST = ("", "", "", ", new")
TITLE = " " * 33 + "FINAL REPORT"
RULE = "_" * 78

#: The impression's summary phrases per category (no final period; joined, numbered or given one a line).
SUMMARY = {
    "Atelectasis": ["{Side} basilar atelectasis", "Bibasilar atelectasis", "Atelectasis at the {side} base"],
    "Cardiomegaly": [
        "{Mild} cardiomegaly",
        "Cardiomegaly",
        "Enlarged heart",
        "{Mild} enlargement of the heart",
    ],
    "Consolidation": ["{Side} {lobe} consolidation", "Consolidation at the {side} base"],
    "Edema": ["{Mild} pulmonary edema", "{Mild} interstitial edema", "Pulmonary edema"],
    "Enlarged Cardiomediastinum": ["Widened mediastinum", "Enlarged cardiomediastinal silhouette"],
    "Fracture": ["{Side} {ordinal} rib fracture", "{Side} rib fracture", "Fracture as described"],
    "Lung Lesion": ["{Size} cm {side} {lobe} nodule", "{Side} lung nodule", "{Side} {lobe} mass"],
    "Lung Opacity": ["{Side} basilar opacity", "Bibasilar opacities", "{Side} {lobe} opacity"],
    "Pleural Effusion": ["{Sev} {side} pleural effusion", "{Side} effusion", "{Sev} pleural effusions"],
    "Pleural Other": ["{Side} pleural thickening", "Pleural plaques"],
    "Pneumonia": ["{Side} {lobe} pneumonia", "Pneumonia in the {side} {lobe}", "Multifocal pneumonia"],
    "Pneumothorax": ["{Sev} {side} pneumothorax", "{Side} apical pneumothorax"],
    "Support Devices": [
        "Lines and tubes in standard position",
        "Endotracheal tube in appropriate position",
        "Support devices in place",
        "{Side} PICC line in the {svc}",
        "Tubes and lines as described",
    ],
}
#: Hedged summaries: ``{noun}`` is the category's summary phrase in lower case.
SUMMARY_UNCERTAIN = (
    "Possible {noun}",
    "{Noun} cannot be excluded",
    "Findings may reflect {noun}",
    "Possible early {noun}",
    "Questionable {noun}",
)
#: Change words before a summary phrase (patients with an earlier study only).
SUMMARY_CHANGE = (
    "Unchanged",
    "New",
    "Slightly improved",
    "Increased",
    "Stable",
    "Slightly worse",
    "Interval increase in",
    "Interval decrease in",
    "Persistent",
)
#: Phrases summing up several findings at once, with the categories they stand for.
SUMMARY_COMBINED = [
    (("Cardiomegaly", "Edema"), "Cardiomegaly with {mild} pulmonary edema"),
    (
        ("Cardiomegaly", "Edema", "Pleural Effusion"),
        "Findings consistent with congestive heart failure: cardiomegaly, pulmonary edema and effusions",
    ),
    (("Pleural Effusion", "Atelectasis"), "{Sev} {side} pleural effusion with adjacent atelectasis"),
    (("Edema", "Pleural Effusion"), "{Mild} pulmonary edema and {sev} pleural effusions"),
]
NORMAL_PRIOR = (
    "No significant change since ___.",
    "No interval change.",
    "Stable chest radiograph.",
    "No change compared to the prior study.",
)
#: Header spellings per section with their weights (the real vocabulary: mostly the common spelling, a
#: tail of rare ones and a few typos).
SPELLINGS = {
    "EXAMINATION": [
        ("EXAMINATION", 0.96),
        ("EXAM", 0.025),
        ("TYPE OF EXAMINATION", 0.01),
        ("EXAMINATON", 0.005),
    ],
    "INDICATION": [
        ("INDICATION", 0.955),
        ("INDICATIONS", 0.02),
        ("CLINICAL INFORMATION", 0.015),
        ("INDICATON", 0.005),
        ("INDICATION FOR EXAM", 0.005),
    ],
    "HISTORY": [
        ("HISTORY", 0.55),
        ("CLINICAL HISTORY", 0.2),
        ("REASON FOR EXAM", 0.13),
        ("REASON FOR EXAMINATION", 0.07),
        ("HISTROY", 0.01),
        ("CLINICAL INDICATION", 0.01),
    ],
    "TECHNIQUE": [("TECHNIQUE", 0.99), ("TECHNQUE", 0.005), ("PROCEDURE", 0.005)],
    "COMPARISON": [("COMPARISON", 0.94), ("COMPARISONS", 0.055), ("COMPARISION", 0.005)],
    "FINDINGS": [("FINDINGS", 0.995), ("FINDING", 0.004), ("FINIDNGS", 0.001)],
    "IMPRESSION": [("IMPRESSION", 0.985), ("CONCLUSION", 0.01), ("IMPRESSIONS", 0.004), ("IMPRESSON", 0.001)],
}
#: Study headers some older reports put before their findings text (the kit reads them as findings).
STUDY_HEADERS = (
    "CHEST, TWO VIEWS",
    "CHEST",
    "PA AND LATERAL CHEST RADIOGRAPHS",
    "PORTABLE AP CHEST",
    "CHEST, PA AND LATERAL",
    "SINGLE AP PORTABLE VIEW OF THE CHEST",
)
RECOMMENDATIONS = (
    "Follow-up chest radiograph after treatment is recommended.",
    "Chest CT is recommended for further evaluation.",
    "Repeat radiograph in ___ weeks.",
    "Follow-up radiographs after diuresis would be helpful.",
    "Recommend dedicated rib series if clinically warranted.",
)
ADDENDA = (
    "The findings were discussed with Dr. ___ by Dr. ___ on the telephone on ___ at ___.",
    "Of note, the study was reviewed again at the request of the clinical team; the impression is unchanged.",
    "Correction: the comparison study is dated ___.",
)
