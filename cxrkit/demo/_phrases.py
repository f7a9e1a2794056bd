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
        "[Linear|Band-like|Discoid] atelectasis at the {side} lung base[| and mid lung].",
        "Plate-like atelectasis in the {side} [mid|lower|mid to lower] lung[| zone].",
        "{Mild} atelectasis at the {side} lung base{change}.",
        "Streaky {side} basilar opacity is consistent with atelectasis.",
        (
            "[Retrocardiac|Left retrocardiac|Left lower lobe] opacity [likely reflects|most likely "
            "reflects|is consistent with|is compatible with] atelectasis{change}."
        ),
        "{Mild} {side} lower lobe atelectasis{change}.",
        "Volume loss at the {side} base with {mild} atelectasis.",
    ],
    "Cardiomegaly": [
        "The heart is {mild}ly enlarged{change}.",
        "{Mild} cardiomegaly{change}.",
        "{Mild} enlargement of the cardiac silhouette{change}.",
        "The heart size is {mild}ly enlarged[| and {stable}][| with a {heartshape} configuration].",
        "[Moderate|Mild|Marked|Severe|] cardiomegaly is {stable}.",
        "Enlargement of the cardiac silhouette is {stable}.",
        "There is {mild} cardiomegaly with a {heartshape} configuration.",
        (
            "The cardiac silhouette is [enlarged|moderately enlarged|mildly enlarged|markedly enlarged|top "
            "normal to mildly enlarged]{change}."
        ),
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
        "There is [patchy|hazy|streaky|ill-defined] opacity at the {side} base{change}.",
        "{Mild} bibasilar opacities{change}.",
        "[Hazy|Patchy|Faint|Ill-defined] opacity in the {side} [mid|upper|lower] lung[| zone]{change}.",
        "[Increased|Slightly increased|Persistent|Hazy] opacity at the {side} lung base{change}.",
        (
            "[Streaky|Patchy|Linear|Hazy] opacities in the [lung bases|bilateral lung bases|{side} greater "
            "than {other} lung bases]{change}."
        ),
        "Ill-defined opacity in the {side} {lobe}{change}.",
        "[Patchy|Confluent|Hazy|Subtle] airspace opacity in the {side} {lobe}.",
        "{Mild} opacification of the {side} lung base{change}.",
    ],
    "Pleural Effusion": [
        "There is a {sev} {side} pleural effusion{change}.",
        "{Sev} {side} pleural effusion{change}.",
        "{Sev} bilateral pleural effusions{change}.",
        "Blunting of the {side} costophrenic angle is due to a {sev} effusion.",
        "[Layering|Small layering|Moderate layering|Dependent] {side} [pleural |]effusion{change}.",
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
        "Multifocal pneumonia[| involving both lower lobes| most pronounced in the {side} {lobe}]{change}.",
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
        "[The |An |]endotracheal tube [terminates|ends|is positioned|lies] {cm} cm above the carina.",
        (
            "{Side} internal jugular [central venous catheter|central line|venous catheter] "
            "[ends|terminates|has its tip] in the {svc}."
        ),
        (
            "{Side}-sided pacemaker with leads in the right atrium and right ventricle[| in standard "
            "position| as expected]."
        ),
        (
            "{Side}-sided [dual-chamber|single-chamber|biventricular] pacemaker [device |]with leads in "
            "[standard position|expected position|the expected locations]."
        ),
        (
            "[An|The] [enteric|feeding|nasogastric] tube courses below the diaphragm with its tip "
            "[in|projecting over] the {gut}."
        ),
        "{Side} PICC line tip is [in|at|projecting over] the {svc}.",
        "{Side}-sided PICC line terminates [at|in] the {svc}[| in good position].",
        "Median sternotomy wires [and mediastinal clips |]are [present|intact|seen][| and intact].",
        (
            "[Nasogastric|Orogastric|Enteric] tube tip is in the {gut}[|, with the side port below the "
            "gastroesophageal junction]."
        ),
        (
            "Endotracheal tube tip is {cm} cm from the carina, and an [orogastric|enteric|nasogastric] tube "
            "ends in the {gut}."
        ),
        (
            "A {side} [chest tube|pigtail catheter|pigtail tube] is in place with its tip [at the apex|at "
            "the lung base|in the mid hemithorax]."
        ),
        (
            "[Swan-Ganz|Pulmonary artery] catheter tip is in the {side} [pulmonary artery|interlobar "
            "pulmonary artery|main pulmonary artery]."
        ),
        (
            "Tracheostomy tube [in standard position|is in place|is in appropriate position|is in expected "
            "position]."
        ),
        "{Side} subclavian [line|central venous catheter] terminates in the {svc}.",
    ],
}
UNCERTAIN = {
    "Atelectasis": [
        (
            "{Side} basilar opacity [may reflect|may represent|could reflect|likely reflects] atelectasis[| "
            "or scarring]."
        ),
        "[Possible|Probable|Questionable] {side} [basilar|lower lobe|perihilar] atelectasis.",
        "[Probable|Possible] atelectasis at the {side} [base|lung base|costophrenic angle].",
        "{Side} basilar opacity could reflect atelectasis{change}.",
    ],
    "Cardiomegaly": [
        "The heart [may be|is possibly|is perhaps] [mildly|slightly|minimally] enlarged.",
        "[Borderline|Possible borderline|Questionable] cardiomegaly[| is suggested| is questioned].",
        "Possible [mild|slight] cardiomegaly, [accentuated|exaggerated] by {technique}.",
        "The heart size is {stable}, possibly [mildly|slightly] enlarged.",
    ],
    "Consolidation": [
        "Possible [early|subtle|developing] consolidation at the {side} [base|lung base].",
        "[Cannot exclude|Cannot rule out|Difficult to exclude] consolidation in the {side} {lobe}.",
        "[Subtle|Faint|Ill-defined] opacity in the {side} {lobe} may represent consolidation.",
    ],
    "Edema": [
        "Possible [mild|minimal|trace] pulmonary edema.",
        "[Cannot exclude|Cannot rule out|Difficult to exclude] [mild|minimal|early] interstitial edema.",
        (
            "[Prominence|Indistinctness] of the [interstitial markings|pulmonary vessels] may reflect "
            "[mild|early] edema."
        ),
        "Possible [mild|minimal] vascular congestion and edema{change}.",
    ],
    "Enlarged Cardiomediastinum": [
        "The [mediastinum|superior mediastinum] may be [slightly|mildly] widened.",
        "Possible widening of the cardiomediastinal silhouette, likely due to {widecause}.",
        "The mediastinal contour is possibly widened, [likely|probably|perhaps] due to {technique}.",
    ],
    "Fracture": [
        "Possible nondisplaced fracture of the {side} {ordinal} [rib|lateral rib|posterior rib].",
        "[Cannot exclude|Cannot rule out] a {side} [rib|{ordinal} rib] fracture.",
    ],
    "Lung Lesion": [
        "Possible [nodule|small nodule|{size} cm nodule] in the {side} {lobe}.",
        (
            "A nodular density at the {side} base may represent a nipple shadow[|; repeat with nipple "
            "markers could help]."
        ),
    ],
    "Lung Opacity": [
        "Possible [subtle|faint|minimal] opacity at the {side} [base|lung base].",
        "[Questionable|Possible] opacity in the {side} {lobe}[|, of uncertain significance].",
    ],
    "Pleural Effusion": [
        "Possible [small|trace|tiny] {side} pleural effusion.",
        "[Cannot exclude|Cannot rule out] a [small|trace|tiny] {side} effusion.",
        (
            "Blunting of the {side} costophrenic angle may reflect a [small|trace] effusion[| or pleural "
            "thickening]."
        ),
        "Possible trace {side} pleural effusion{change}.",
    ],
    "Pleural Other": ["Possible {side} [apical |lateral |]pleural thickening."],
    "Pneumonia": [
        "Possible [early|developing|superimposed] pneumonia[| in the {side} {lobe}].",
        "[Cannot exclude|Cannot rule out|Difficult to exclude] pneumonia in the {side} {lobe}.",
        "Opacity at the {side} base could represent pneumonia in the [appropriate|right] clinical setting.",
        "{Side} basilar opacity may reflect aspiration or pneumonia.",
        "Possible developing pneumonia at the {side} [base|lung base].",
        "Early pneumonia in the {side} {lobe} cannot be [excluded|ruled out].",
    ],
    "Pneumothorax": [
        "Possible [tiny|small|trace] {side} apical pneumothorax.",
        "[Cannot exclude|Cannot rule out] a [small|tiny] {side} pneumothorax.",
    ],
    "Support Devices": ["A [catheter|line] possibly terminates in the [right atrium|cavoatrial junction]."],
}
NEGATIVE = {
    "Atelectasis": [
        "No [|definite |significant ]atelectasis[| is seen| is identified].",
        (
            "Previously seen [{side} basilar |{side} lower lobe |bibasilar |]atelectasis has "
            "[resolved|nearly resolved]."
        ),
        "[There is no|No] [residual |]atelectasis[| at the lung bases| at the {side} base].",
    ],
    "Cardiomegaly": [
        (
            "[Heart size is|The heart size is|Cardiac size is] [normal|within normal limits|top normal][| "
            "for age]."
        ),
        "No [|evidence of ]cardiomegaly[| is seen].",
        "The heart is not [enlarged|significantly enlarged][| in size].",
        "Normal [heart size|cardiac size][| and mediastinal contours| and hilar contours].",
    ],
    "Consolidation": [
        (
            "No [focal |lobar |confluent |]consolidation[| is seen| is identified| is present][| to suggest "
            "pneumonia]."
        ),
        "There is no [focal |definite |new |]consolidation[| in either lung| at the lung bases].",
        "No evidence of [focal |lobar |]consolidation[| on this {technique2} study].",
    ],
    "Edema": [
        "No [|frank |overt |interstitial |]pulmonary edema[| is seen| is identified].",
        "There is no [|evidence of ]pulmonary [vascular congestion or |]edema.",
        "No evidence of [|interstitial |pulmonary ]edema[| or vascular congestion].",
    ],
    "Enlarged Cardiomediastinum": [
        "The cardiomediastinal silhouette is not [enlarged|widened][| and is normal in contour].",
        "No [|significant |definite ]mediastinal widening[| is seen].",
    ],
    "Fracture": [
        "No [acute |displaced |]rib fracture[| is seen| is identified| is evident].",
        (
            "No [displaced |acute |]fracture is [seen|identified|demonstrated][| in the visualized osseous "
            "structures]."
        ),
    ],
    "Lung Lesion": [
        "No [suspicious |discrete |]pulmonary nodule[| is seen| is identified].",
        "No [discrete |suspicious |]nodule or mass[| is seen| is identified][| in either lung].",
    ],
    "Lung Opacity": [
        "No new [|focal |airspace ]opacity[| is seen| is identified].",
        "There is no [focal |new |]opacity[| in either lung| at the lung bases].",
    ],
    "Pleural Effusion": [
        "No [|definite |large |appreciable |new |]pleural effusion[| is seen| is identified| is present].",
        "There is no [|definite |significant |new ]pleural effusion[| on either side| bilaterally].",
        "No [|right or left |layering ]pleural effusions[| are seen| are identified].",
        "No evidence of [|a |new ]pleural effusion[| on this {technique2} study].",
        "The costophrenic angles are [sharp|clear|well defined] without [|evidence of ]effusion.",
    ],
    "Pleural Other": ["No [|significant |focal ]pleural thickening[| is seen]."],
    "Pneumonia": [
        "No [|radiographic |definite ]evidence of pneumonia[| is seen].",
        "[There are no|No] [radiographic |]findings to suggest pneumonia.",
        "No [|focal |lobar ]pneumonia[| is seen| is identified].",
    ],
    "Pneumothorax": [
        (
            "No pneumothorax[| is seen| is identified| is present][| on this {technique2} study| on the "
            "{technique2} view| at either apex]."
        ),
        (
            "There is no [|evidence of |apical |residual |]pneumothorax[| on either side| bilaterally| on "
            "this {technique2} radiograph]."
        ),
        "No [|definite |visible |apical ]pneumothorax[| is seen].",
        "No [|right or left |]pneumothorax [is seen|is identified|is evident][| at the apices].",
    ],
    "Support Devices": [
        (
            "The [endotracheal tube|enteric tube|nasogastric tube|right PICC line|left chest tube] has been "
            "removed."
        ),
        "No [lines or tubes|support lines or tubes|tubes or lines] are [seen|present].",
    ],
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
    (
        "The lungs are [clear|essentially clear|grossly clear|clear bilaterally|well expanded and clear][.| "
        "and well aerated.| without focal abnormality.]"
    ),
    (
        "[Lungs are|Both lungs are] [well expanded|well inflated|adequately aerated|low in volume but] "
        "[clear|essentially clear][| bilaterally| without focal abnormality]."
    ),
    "[The|Both] lungs [appear|remain] [clear|well expanded and clear][| bilaterally].",
]
NEUTRAL = [
    "The [hila|hilar contours|hilar structures] are {hila}.",
    (
        "[Mild|Moderate|Multilevel|Mild multilevel] degenerative changes are [seen|noted|present] in the "
        "{spinepart} spine."
    ),
    "The [imaged|visualized] upper abdomen is [unremarkable|grossly unremarkable|within normal limits].",
    "[Mild|Moderate|Dense|Faint] calcification of the aortic knob[| is noted| is seen| is present].",
    "Surgical clips are [noted|seen|present] in the {quadrant}[| and are intact].",
    "Lung volumes are {lowvol}[| bilaterally| on this {technique2} study].",
    "The patient is {rotated}[|, limiting assessment of the mediastinum].",
    "{Mild} tortuosity of the [thoracic|descending thoracic] aorta[| is noted| is seen].",
    "[Bilateral|Right|Left] nipple shadows are [noted|seen|present][| over the lung bases].",
    "Lung volumes are {lowvol}, with [crowding of the bronchovascular markings|bronchovascular crowding].",
    "The [thoracic |]aorta is [calcified and tortuous|mildly calcified|tortuous|unfolded].",
    "There is a {sev} hiatal hernia[| behind the heart| with an air-fluid level].",
    "The trachea is [midline|at the midline|in the midline][| and normal in caliber].",
    "{Mild} degenerative changes of the {side} [shoulder|acromioclavicular joint|glenohumeral joint].",
    (
        "[Cholecystectomy|Surgical|Multiple surgical] clips are [seen|noted|present] in the right upper "
        "quadrant[| and epigastrium]."
    ),
    "Assessment of the [lung apices|{side} apex|retrocardiac region] is limited by {limit}.",
    "The [study|examination|exam] is [limited|somewhat limited|mildly limited] by {limit}.",
    "There is no free [air|intraperitoneal air] under the [diaphragms|hemidiaphragms|right hemidiaphragm].",
    "{Mild} elevation of the {side} hemidiaphragm[| is noted| is chronic| is present].",
    "The pulmonary vasculature is [within normal limits|normal|not engorged][| in caliber].",
    "Evaluation of the {side} [lung base|costophrenic angle|lung apex] is limited by {limit}.",
    "[Exaggerated|Mild|Moderate] kyphosis of the thoracic spine[| is noted].",
    "[Dense|Mild|Moderate] calcification of the mitral annulus[| is noted| is present].",
    "Coarse interstitial markings [are chronic|are seen|are present|likely reflect chronic lung disease].",
    "A [{size} mm |small |]calcified granuloma projects over the {side} {lobe}.",
    "The [osseous structures|bones|visualized bones] are {osseous}.",
    "Postoperative changes [of|in] the {side} {lobe}[| are seen| are noted].",
    "{Mild} hyperinflation of the lungs[| with flattening of the hemidiaphragms].",
    "[Skin folds project|A skin fold projects] over the {side} [hemithorax|lung apex|lung base].",
    (
        "[Anterior|Posterior] [cervical|lower cervical|cervicothoracic] fusion hardware is [partially "
        "imaged|partially visualized|noted][| and intact]."
    ),
    "{Side} shoulder [arthroplasty|hemiarthroplasty|arthroplasty hardware] is partially [imaged|visualized].",
    "[Vascular|Biliary|Axillary] stent projects over the {side} {lobe}.",
    "Degenerative changes are [noted|seen] at [the |]{level} [and {level2}|].",
    "[Mild|Moderate] anterior wedging of the {level} vertebral body is [chronic|likely chronic|noted].",
]
NEUTRAL_PRIOR = [
    (
        "[Compared to|As compared to|In comparison with] the [prior|previous] [study|radiograph|exam], "
        "there is no [significant |relevant |]interval change."
    ),
    "As compared to the previous radiograph, the lung volumes have [slightly |]{lowchange}.",
    (
        "Re-demonstration of a [rounded|lucent|tubular] density over the left upper abdomen, likely colonic "
        "[content|gas]."
    ),
    "Otherwise, [little|no significant|no relevant] change since the [prior exam|prior study|study of ___].",
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


def _with_change(template: str) -> str:
    """A finding's sentence with the change clause (``{change}``) before its final period, if it has none."""
    if "{change}" in template or not template.endswith("."):
        return template
    return template[:-1] + "{change}."


for _bank in (POSITIVE, UNCERTAIN):
    for _name, _templates in _bank.items():
        _bank[_name] = [_with_change(t) for t in _templates]
#: Technique lines some reports put in their findings, by kind of examination.
TECHNIQUE_PORTABLE = (
    (
        "[Portable|Single portable] AP [chest radiograph|view of the chest|radiograph of the chest][| was "
        "obtained]."
    ),
    "Portable [semi-upright|upright|semi-erect|supine] AP view of the chest[| was obtained| is provided].",
    "AP portable [upright|semi-upright|supine] view of the chest[| at ___].",
    (
        "Single [frontal|AP|portable frontal] view of the chest[| was obtained| is provided][| at ___| with "
        "the patient semi-upright]."
    ),
)
TECHNIQUE_TWO_VIEWS = (
    "Chest PA and lateral",
    "PA and lateral views of the chest[| were obtained| are provided][| at ___| with the patient upright].",
    "[Frontal|PA] and lateral [views|radiographs] of the chest[| were obtained][| at ___].",
)
TECHNIQUE_ONE_VIEW = (
    "[PA|Frontal] view of the chest[| was obtained].",
    "Single [frontal|PA|upright PA] view of the chest[| was obtained| is provided][| at ___].",
)
