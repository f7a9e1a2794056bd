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
        (
            "There is [|mild |minimal |subsegmental |streaky ]{side} basilar atelectasis[| with mild volume "
            "loss| obscuring the {side} hemidiaphragm]."
        ),
        "{Mild} bibasilar atelectasis[|, {side} greater than {other}| is seen| is noted].",
        "Patchy density at the {side} [base|lung base|infrahilar region] {hedge} reflects atelectasis.",
        "Subsegmental atelectasis in the {side} [lower lobe|lung base|mid lung|perihilar region].",
        (
            "[Linear|Band-like|Discoid] atelectasis at the {side} lung base[| and mid lung| and in the "
            "lingula| and in the {other} base]."
        ),
        "Plate-like atelectasis in the {side} [mid|lower|mid to lower] lung[| zone][| is seen| is noted].",
        "{Mild} atelectasis at the {side} lung base{change}.",
        (
            "Streaky {side} [basilar|lower lobe|retrocardiac] density is [consistent with|compatible "
            "with|suggestive of] atelectasis."
        ),
        (
            "[Retrocardiac|Left retrocardiac|Left lower lobe] density [likely reflects|most likely "
            "reflects|is consistent with|is compatible with|probably represents] atelectasis{change}."
        ),
        "{Mild} {side} lower lobe atelectasis[| with elevation of the {side} hemidiaphragm]{change}.",
        "Volume loss at the {side} base with {mild} atelectasis.",
        (
            "[Compressive|Passive|Dependent] atelectasis [is seen |is present |]at the {side} [base|lung "
            "base][| with mild volume loss]."
        ),
    ],
    "Cardiomegaly": [
        "The heart is {mild}ly enlarged{change}.",
        "{Mild} cardiomegaly[| is present| is seen| is noted]{change}.",
        "{Mild} enlargement of the cardiac silhouette[| is seen| is noted]{change}.",
        "The heart size is {mild}ly enlarged[| and {stable}][| with a {heartshape} configuration].",
        "[Moderate|Mild|Marked|Severe|Moderate to severe|Mild to moderate|] cardiomegaly is {stable}.",
        (
            "[Enlargement|Mild enlargement|Moderate enlargement|Marked enlargement] of the [cardiac "
            "silhouette|heart] is {stable}."
        ),
        "There is {mild} cardiomegaly with a {heartshape} configuration.",
        (
            "The cardiac silhouette is [enlarged|moderately enlarged|mildly enlarged|markedly enlarged|top "
            "normal to mildly enlarged|massively enlarged]{change}."
        ),
        (
            "{Mild} cardiomegaly [with|and] [a tortuous aorta|a calcified aortic knob|an unfolded "
            "aorta|prominent pulmonary vessels]{change}."
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
        "There is {mild} interstitial edema[| with Kerley B lines| with peribronchial cuffing]{change}.",
        "Pulmonary vascular congestion with {mild} [|interstitial |perihilar ]edema.",
        "Findings are [consistent with|compatible with|suggestive of] {mild} pulmonary edema.",
        "{Mild} pulmonary edema has {worsened}.",
        (
            "{Mild} interstitial pulmonary edema with [perihilar vascular blurring|indistinct pulmonary "
            "vessels|septal thickening]."
        ),
        "Cephalization of the pulmonary vessels and {mild} edema{change}.",
        (
            "Diffuse [hazy|bilateral|perihilar] densities are [consistent with|compatible with|likely due "
            "to] {mild} pulmonary edema."
        ),
        (
            "{Mild} [alveolar|interstitial|perihilar] edema[|, {side} greater than {other},] [is present|is "
            "seen]{change}."
        ),
    ],
    "Enlarged Cardiomediastinum": [
        "The cardiomediastinal silhouette is [enlarged|widened|prominent][| for technique]{change}.",
        "Widening of the [mediastinum|superior mediastinum|upper mediastinum]{change}.",
        "The mediastinum is widened, [likely|probably|possibly] due to {widecause}.",
        "The superior mediastinum is [widened|mildly widened|prominent]{change}.",
        "Enlargement of the cardiomediastinal silhouette, [partly|likely|in part] due to {widecause}.",
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
        "A {size} cm rounded density in the {side} {lobe} could be a nodule or mass.",
    ],
    "Lung Opacity": [
        (
            "There is [patchy|hazy|streaky|ill-defined|faint] opacity at the {side} [base|lung "
            "base|infrahilar region]{change}."
        ),
        "{Mild} bibasilar opacities[|, {side} greater than {other},]{change}.",
        "[Hazy|Patchy|Faint|Ill-defined] opacity in the {side} [mid|upper|lower] lung[| zone]{change}.",
        "{Opq} opacity at the {side} lung base.",
        (
            "[Streaky|Patchy|Linear|Hazy] opacities in the [lung bases|bilateral lung bases|{side} greater "
            "than {other} lung bases]{change}."
        ),
        "Ill-defined opacity in the {side} {lobe}[| measuring up to {size} cm]{change}.",
        "[Patchy|Confluent|Hazy|Subtle] airspace opacity in the {side} {lobe}[| and {zone}].",
        "{Mild} opacification of the {side} lung base{change}.",
        (
            "[Reticular|Streaky|Linear] opacities [in the|at the] [lung bases|{side} {zone}|{side} "
            "{lobe}]{change}."
        ),
    ],
    "Pleural Effusion": [
        "There is a {sev} {side} pleural effusion{change}.",
        "{Sev} {side} pleural effusion[| is present| is seen| is noted]{change}.",
        "{Sev} bilateral pleural effusions[|, {side} greater than {other},] [are present|are seen|]{change}.",
        "Blunting of the {side} costophrenic angle is [due to|consistent with|from] a {sev} effusion.",
        "[Layering|Small layering|Moderate layering|Dependent] {side} [pleural |]effusion{change}.",
        "A {sev} {side} pleural effusion with adjacent [compressive changes|compressive change|volume loss].",
        "{Sev} {side} and {sev2} {other} pleural effusions{change}.",
        "Meniscus sign at the {side} base from a {sev} pleural effusion.",
        (
            "A {sev} {side} pleural effusion [tracks|extends] [along the lateral chest wall|into the "
            "fissure|up the {side} hemithorax]{change}."
        ),
    ],
    "Pleural Other": [
        "{Side} apical pleural thickening{change}.",
        "Calcified pleural plaques are noted along the {side} hemithorax.",
        "Pleural thickening along the {side} lateral chest wall.",
        "Chronic pleural thickening at the {side} costophrenic angle.",
    ],
    "Pneumonia": [
        "Findings are concerning for pneumonia in the {side} {lobe}.",
        "{Side} {lobe} pneumonia{change}.",
        "Multifocal pneumonia[| involving both lower lobes| most pronounced in the {side} {lobe}]{change}.",
        "Density in the {side} {lobe} is consistent with pneumonia.",
        "{Side} basilar density is compatible with pneumonia{change}.",
        "Airspace density in the {side} {lobe} reflects pneumonia.",
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
            "[Tracheostomy tube|A tracheostomy tube|The tracheostomy tube] [in standard position|is in "
            "place|is in "
            "appropriate position|is in expected position|terminates {cm} cm above the carina]."
        ),
        "[A |]{Side} [chest wall port|Port-A-Cath|port] catheter [terminates|ends|has its tip] in the {svc}.",
        (
            "[A |]{side} [chest wall|subclavian] [pacemaker|pacemaker-defibrillator|dual-lead pacemaker] "
            "device with leads [terminating|ending] in the [right atrium|right ventricle|right atrium and "
            "right ventricle]."
        ),
        "{Side} subclavian [line|central venous catheter] terminates in the {svc}.",
    ],
}
UNCERTAIN = {
    "Atelectasis": [
        (
            "{Side} [basilar|lower lobe|perihilar] density [may reflect|may represent|could "
            "reflect|likely reflects] atelectasis[| "
            "or subsegmental collapse]."
        ),
        "[Possible|Probable|Questionable] {side} [basilar|lower lobe|perihilar|retrocardiac] atelectasis.",
        "[Probable|Possible] atelectasis at the {side} [base|lung base|costophrenic angle|{zone}].",
        "{Side} [basilar|infrahilar] density could reflect atelectasis{change}.",
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
        "[Subtle|Faint|Ill-defined] density in the {side} {lobe} may represent consolidation.",
    ],
    "Edema": [
        "Possible [mild|minimal|trace|early] [pulmonary|interstitial] edema[| given {technique}].",
        (
            "[Cannot exclude|Cannot rule out|Difficult to exclude] [mild|minimal|early] interstitial edema[| "
            "given the {technique2} technique]."
        ),
        (
            "[Prominence|Indistinctness|Engorgement] of the [vascular markings|pulmonary "
            "vessels|perihilar vessels] may reflect "
            "[mild|early|minimal] edema."
        ),
        "Possible [mild|minimal] vascular congestion and [interstitial |]edema{change}.",
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
            "Blunting of the {side} costophrenic angle may reflect a [small|trace] "
            "effusion[| or fluid in the fissure]."
        ),
        "Possible trace {side} pleural effusion{change}.",
    ],
    "Pleural Other": ["Possible {side} [apical |lateral |]pleural thickening."],
    "Pneumonia": [
        "Possible [early|developing|superimposed] pneumonia[| in the {side} {lobe}| at the {side} base].",
        "[Cannot exclude|Cannot rule out|Difficult to exclude] pneumonia in the {side} [{lobe}|{zone}].",
        (
            "Density at the {side} [base|lung base|{zone}] could represent pneumonia in the "
            "[appropriate|right] clinical setting."
        ),
        "{Side} [basilar|lower lobe|retrocardiac] density may reflect aspiration or pneumonia.",
        "Possible developing pneumonia at the {side} [base|lung base|{zone}].",
        "Early pneumonia in the {side} {lobe} cannot be [excluded|ruled out][| on this {technique2} study].",
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
        "[There is no|No] [residual |]atelectasis[| at the lung bases| at the {side} base].",
    ],
    "Cardiomegaly": [
        (
            "[Heart size is|The heart size is|Cardiac size is] [normal|within normal limits|top normal][| "
            "for age]."
        ),
        "No [|evidence of |significant ]cardiomegaly{seen}.",
        (
            "[The cardiac silhouette is|The heart is|Cardiac silhouette is] [normal in size|not "
            "enlarged|within "
            "normal limits][| for technique| given the AP technique|]."
        ),
        "The heart is not [enlarged|significantly enlarged][| in size].",
        "Normal [heart size|cardiac size][| and pulmonary vascularity| and hilar contours].",
    ],
    "Consolidation": [
        (
            "No [focal |lobar |confluent |]consolidation[| is seen| is identified| is present][| in "
            "either lung]."
        ),
        (
            "There is no [focal |definite |{nw}|lobar |]consolidation[| in either lung| at the lung bases| "
            "to explain the symptoms]."
        ),
        (
            "[The lungs are free of|Both lungs are free of|No area of] [focal |lobar |]consolidation[| is "
            "seen|]."
        ),
        "No evidence of [focal |lobar |]consolidation[| on this {technique2} study].",
    ],
    "Edema": [
        (
            "No [|frank |overt |interstitial |]pulmonary edema{seen}[|, and the pulmonary vasculature is "
            "normal]."
        ),
        (
            "The pulmonary vasculature is [normal|not congested|within normal limits|unremarkable], without "
            "[|signs of |evidence of ]edema."
        ),
        "[There is no|No] [|radiographic |]evidence of [|interstitial |alveolar ]edema[| or congestion].",
        "There is no [|evidence of ]pulmonary [vascular congestion or |]edema.",
        "No evidence of [|interstitial |pulmonary ]edema[| or vascular congestion].",
    ],
    "Enlarged Cardiomediastinum": [
        (
            "The cardiomediastinal silhouette is not [enlarged|widened][| and is normal in contour| for "
            "technique]."
        ),
        "No [|significant |definite ]mediastinal widening{seen}.",
        (
            "[Mediastinal|Cardiomediastinal|Mediastinal and hilar] contours are [normal|unremarkable|within "
            "normal limits] without widening."
        ),
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
        "No {nw}[|focal |airspace ]opacity[| is seen| is identified].",
        "There is no [focal |{nw}|]opacity[| in either lung| at the lung bases].",
    ],
    "Pleural Effusion": [
        "No [|definite |large |appreciable |sizable |significant |]pleural effusion{seen}[| on either side].",
        (
            "There is no [|definite |significant |appreciable ]pleural effusion[| on either side| "
            "bilaterally| on this {technique2} study]."
        ),
        (
            "[The costophrenic angles are|Both costophrenic angles are] [sharp|sharply "
            "defined|preserved|clear][, without effusion| and there is no pleural effusion| without "
            "pleural effusion]."
        ),
        "Pleural effusion is [not seen|not present|not identified|not evident][| on either side|].",
        "No [|right or left |layering ]pleural effusions[| are seen| are identified].",
        "No evidence of [|a |{nw}]pleural effusion[| on this {technique2} study].",
        "The costophrenic angles are [sharp|clear|well defined] without [|evidence of ]effusion.",
    ],
    "Pleural Other": ["No [|significant |focal ]pleural thickening[| is seen]."],
    "Pneumonia": [
        (
            "No [|radiographic |definite |convincing ]evidence of pneumonia[| is seen| on this {technique2} "
            "study]."
        ),
        (
            "[There are no|No] [radiographic ||specific ]findings to suggest pneumonia[| in either lung| at "
            "the lung bases]."
        ),
        "No [|focal |lobar |multifocal ]pneumonia{seen}.",
        (
            "[There is no|No] [|radiographic |]sign of [pneumonia|aspiration pneumonia|lobar pneumonia][| in "
            "either lung]."
        ),
    ],
    "Pneumothorax": [
        (
            "No pneumothorax{seen}[| on this {technique2} study| on the {technique2} view| at either "
            "apex| on "
            "either side| bilaterally]."
        ),
        (
            "[Pneumothorax is not seen|A pneumothorax is not identified|No pneumothorax is visualized][| on "
            "this {technique2} study|]."
        ),
        (
            "There is no [|sign of |evidence of |definite ]pneumothorax[| or pneumomediastinum| or "
            "subcutaneous emphysema| or pleural air][| on this {technique2} study]."
        ),
        (
            "There is no [|evidence of |apical |residual |]pneumothorax[| on either side| bilaterally| on "
            "this {technique2} radiograph]."
        ),
        "No [|definite |visible |apical |appreciable |large ]pneumothorax{seen}.",
        (
            "No [|right or left |left or right |]pneumothorax [is seen|is identified|is evident|is "
            "appreciated][| at the apices]."
        ),
    ],
    "Support Devices": [
        (
            "The [endotracheal tube|enteric tube|nasogastric tube|right PICC line|left chest tube] has been "
            "removed."
        ),
        "No [lines or tubes|support lines or tubes|tubes or lines] are [seen|present].",
    ],
}
#: Negated sentences for a patient with an earlier study (``{prior}``: that study, as the reports name it).
NEGATIVE_PRIOR = {
    "Pneumothorax": [
        "No pneumothorax [has developed|is seen|is identified|has appeared] since {prior}.",
        ("[No|There is no] [residual |recurrent |]pneumothorax[| at either apex| on either side]."),
    ],
    "Pleural Effusion": [
        "No pleural effusion has [developed|appeared|reaccumulated] since {prior}.",
        "No [new |recurrent |]pleural effusion [is seen|is identified] compared to {prior}.",
    ],
    "Edema": [
        "No pulmonary edema [has developed|is seen] since {prior}.",
    ],
    "Consolidation": [
        "No new consolidation [has developed|is seen|has appeared] since {prior}.",
        "No [focal |new |]consolidation [is seen |]compared to {prior}.",
    ],
    "Cardiomegaly": [
        "[Heart size is|The heart size is|Cardiac size is] normal[,| and] [unchanged|stable] since {prior}.",
        "[The heart is|Heart size is] not enlarged, [as on|similar to|unchanged from] {prior}.",
    ],
    "Lung Opacity": [
        "No new opacity [has developed|is seen|has appeared] since {prior}.",
    ],
    "Atelectasis": [
        "No atelectasis [is seen|remains|persists] compared to {prior}.",
    ],
}
#: Negated sentences saying a finding of the previous study has gone: written only when the patient's previous
#: study was positive for the category (and the current one is negative).
RESOLVED = {
    "Pneumothorax": [
        (
            "[The previously seen|The previously noted|The] {side} [apical |basilar |]pneumothorax is no "
            "longer [seen|visible|present][| since {prior}]."
        ),
        "The {side} pneumothorax seen on {prior} is no longer [visible|seen|present].",
    ],
    "Pleural Effusion": [
        (
            "[The previously seen|The previously noted|The] {side} pleural effusion has resolved, with no "
            "[residual|remaining] effusion."
        ),
        "The {side} [pleural |]effusion [seen|noted|present] on {prior} is no longer [seen|visible|present].",
    ],
    "Edema": [
        "[The previously seen|Previously noted|The] [mild |]pulmonary edema is no longer [seen|present].",
        "[Interstitial|Pulmonary] edema seen on {prior} has [resolved|cleared], with no residual edema.",
    ],
    "Consolidation": [
        (
            "[The previously seen|The previously noted|The] {side} {lobe} consolidation is no longer "
            "[seen|visible|present][| since {prior}]."
        ),
    ],
    "Lung Opacity": [
        "The {side} basilar opacity seen on {prior} is no longer [seen|visible|present].",
    ],
    "Atelectasis": [
        "[The |]{side} basilar atelectasis seen on {prior} is no longer [seen|visible|present].",
        (
            "Previously seen [{side} basilar |{side} lower lobe |bibasilar |]atelectasis has "
            "[resolved|nearly resolved]."
        ),
    ],
}
#: Negated sentences when the patient has a line or tube (a film after placement, as most ICU films are).
NEGATIVE_DEVICE = {
    "Pneumothorax": [
        (
            "No pneumothorax [is seen |is identified |]after [placement of the|insertion of the|placement of "
            "a] {device}."
        ),
        "No [|apical |{side} ]pneumothorax [following|after] [line|catheter|tube|central line] placement.",
        "There is no pneumothorax [after|following] [the procedure|{device} placement].",
        "No pneumothorax[| is seen] [on the side of the|adjacent to the|associated with the] {device}.",
    ],
    "Pleural Effusion": [
        "No pleural effusion [is seen |]after [placement of the|insertion of the] {device}.",
    ],
}
#: Openers and tails of a combined negation ("There is no focal consolidation, effusion, or pneumothorax.").
NEG_OPENERS = (
    "No ",
    "There is no ",
    "No evidence of ",
    "No definite ",
    "There is no evidence of ",
    "No radiographic evidence of ",
    "There is no definite ",
    "There is no sign of ",
)
NEG_TAILS = (
    "",
    "",
    " is seen",
    " is identified",
    " is present",
    " is evident",
    " is demonstrated",
    " is appreciated",
)
# short nouns for combined negatives: "No pleural effusion, pneumothorax or focal consolidation."
NEG_NOUN = {
    "Pleural Effusion": "pleural effusion",
    "Pneumothorax": "pneumothorax",
    "Consolidation": "focal consolidation",
    "Edema": "pulmonary edema",
    "Pneumonia": "pneumonia",
}
VERSUS = [
    ("Atelectasis", "Pneumonia", "{Side} basilar density, atelectasis versus pneumonia."),
    ("Atelectasis", "Consolidation", "Atelectasis versus consolidation at the {side} base."),
    ("Edema", "Pneumonia", "Diffuse densities may reflect edema or pneumonia."),
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
        "The lungs are [clear|essentially clear|grossly clear|clear bilaterally|well expanded and clear|well "
        "aerated and clear|clear and well expanded][.| and well aerated.| without focal abnormality.| and "
        "well expanded.| from apex to base.]"
    ),
    (
        "[Lungs are|Both lungs are] [well expanded|well inflated|adequately aerated|low in volume "
        "but|hyperinflated "
        "but|mildly hyperinflated but] [clear|essentially clear][| bilaterally| without focal abnormality]."
    ),
    "[The|Both] lungs [appear|are {again}|are] [clear|well expanded and clear|grossly clear][| bilaterally].",
    (
        "The [lungs|lung fields] are [clear|grossly clear|essentially clear] [on this {technique2} "
        "study|on the "
        "{technique2} view|given the {technique2} technique|from apex to base]."
    ),
]
#: The clear lungs of a sentence that goes on with negations ("... without focal consolidation or effusion").
CLEAR_LUNGS_HEAD = (
    "[The lungs are|Lungs are|Both lungs are] [clear|essentially clear|well expanded and "
    "clear|grossly clear|well aerated|clear bilaterally]"
)
#: Said after clear lungs of a patient with an earlier study.
CLEAR_TAIL = (", as on {prior}", ", unchanged from {prior}", ", as before", ", similar to {prior}", " again")
CLEAR_LUNGS_JOIN = (" without ", ", without ", ", with no ", " with no ", ". There is no ")
NEUTRAL = [
    "The [hila|hilar contours|hilar structures|hilar shadows] are {hila}[| bilaterally].",
    (
        "[Mild|Moderate|Multilevel|Mild multilevel|Moderate multilevel] degenerative changes are "
        "[seen|noted|present"
        "|{again}seen] [in|throughout|along] the {spinepart} spine."
    ),
    (
        "The [imaged|visualized|included] upper abdomen is [unremarkable|grossly unremarkable|within normal "
        "limits|notable only for a nonspecific bowel gas pattern]."
    ),
    (
        "[Mild|Moderate|Dense|Faint|Minimal|Extensive] calcification of the [aortic knob|aortic "
        "arch|aortic knob "
        "and arch|thoracic aorta][| is noted| is seen| is present| is {again}noted]."
    ),
    (
        "Surgical clips are [noted|seen|present|{again}seen] in the {quadrant}[| and are intact| and appear "
        "intact]."
    ),
    (
        "Lung volumes are {lowvol}[| bilaterally| on this {technique2} study| with elevation of the {side} "
        "hemidiaphragm]."
    ),
    (
        "The patient is {rotated}[|, limiting assessment of the mediastinum|, which limits evaluation of the "
        "{side} base|, which distorts the mediastinal contours|, limiting evaluation of the cardiac "
        "silhouette]."
    ),
    (
        "{Mild} tortuosity of the [thoracic|descending thoracic|thoracic and abdominal] aorta[| is noted| is "
        "seen| is {again}noted]."
    ),
    (
        "[Bilateral|Right|Left] nipple shadows are [noted|seen|present][| over the lung bases| at the {side} "
        "base| in the lower lungs]."
    ),
    (
        "Lung volumes are {lowvol}, with [crowding of the bronchovascular markings|bronchovascular crowding|"
        "accentuation of the pulmonary markings|crowding of the vessels at the bases]."
    ),
    (
        "The [thoracic |descending |]aorta is [calcified and tortuous|mildly calcified|tortuous|unfolded|"
        "diffusely calcified|mildly unfolded|ectatic]."
    ),
    (
        "There is a {sev} hiatal hernia[| behind the heart| with an air-fluid level| projecting over the "
        "{side} mediastinum]."
    ),
    (
        "The trachea is [midline|at the midline|in the midline|in normal position][| and normal in caliber| "
        "and of normal caliber]."
    ),
    (
        "{Mild} degenerative changes of the {side} [shoulder|acromioclavicular joint|glenohumeral "
        "joint|shoulder girdle] [are seen|are noted|are present|]."
    ),
    (
        "[Cholecystectomy|Surgical|Multiple surgical|Vascular] clips are "
        "[seen|noted|present|{again}seen] in the "
        "right upper quadrant[| and epigastrium| of the abdomen]."
    ),
    (
        "Assessment of the [lung apices|{side} apex|retrocardiac region|{side} base|lung bases] is limited "
        "by {limit}."
    ),
    (
        "The [study|examination|exam|evaluation] is [limited|somewhat limited|mildly limited|slightly "
        "limited] by {limit}."
    ),
    (
        "There is no [free air|free intraperitoneal air|subdiaphragmatic free air|pneumoperitoneum] "
        "[under|beneath|below] the [diaphragms|hemidiaphragms|right hemidiaphragm|left hemidiaphragm][| on "
        "this upright study| on the {technique2} view]."
    ),
    "{Mild} elevation of the {side} hemidiaphragm[| is noted| is chronic| is present| is {again}seen].",
    (
        "The pulmonary [vasculature is|vessels are|vascular markings are] [within normal limits|normal|not "
        "engorged|unremarkable|not congested][| in caliber| in appearance]."
    ),
    "Evaluation of the {side} [lung base|costophrenic angle|lung apex|hemidiaphragm] is limited by {limit}.",
    (
        "[Exaggerated|Mild|Moderate|Marked|Mild to moderate] kyphosis of the thoracic spine[| is noted| is "
        "{again}seen| is present]."
    ),
    (
        "[Dense|Mild|Moderate|Faint|Extensive] calcification of the mitral annulus[| is noted| is present| "
        "is {again}noted]."
    ),
    (
        "[Dense|Mild|Moderate|Scattered] calcification of the [coronary arteries|aortic valve|thyroid|costal "
        "cartilages][| is noted| is seen]."
    ),
    (
        "A [{mm} mm |small |tiny |]calcified granuloma [projects over|is seen in|is {again}seen in] the "
        "{side} {lobe}."
    ),
    "The [osseous structures|bones|visualized bones|imaged osseous structures] are {osseous}.",
    (
        "Postoperative changes [of|in] the {side} {lobe}[| are seen| are noted| are {again}seen][| with "
        "volume loss]."
    ),
    (
        "{Mild} hyperinflation of the lungs[| with flattening of the hemidiaphragms| with an increased "
        "retrosternal clear space]."
    ),
    "[Skin folds project|A skin fold projects] over the {side} [hemithorax|lung apex|lung base|mid lung].",
    (
        "[Anterior|Posterior] [cervical|lower cervical|cervicothoracic|thoracic] fusion hardware is "
        "[partially "
        "imaged|partially visualized|noted|{again}seen][| and intact]."
    ),
    (
        "{Side} shoulder [arthroplasty|hemiarthroplasty|arthroplasty hardware|reverse arthroplasty] is "
        "partially [imaged|visualized|seen]."
    ),
    (
        "[Vascular|Surgical|Axillary|Subclavian] clips project over the {side} [upper chest|axilla|upper "
        "abdomen|lower neck]."
    ),
    "Degenerative changes are [noted|seen|{again}seen] at [the |]{level} [and {level2}|].",
    (
        "[Mild|Moderate|Severe] anterior wedging of the {level} vertebral body is [chronic|likely "
        "chronic|noted|{again}noted]."
    ),
    "[A |]{side} [breast implant|breast prosthesis|mastectomy with clips] is [noted|seen|present].",
    (
        "[EKG|ECG|Monitoring] electrodes [overlie|project over] the [chest|thorax|mediastinum|{side} "
        "hemithorax]."
    ),
    (
        "[Mild|Moderate|Marked] dextroscoliosis of the [thoracic|thoracolumbar|upper thoracic] spine[| is "
        "noted]."
    ),
    "[Mild|Moderate|Marked] levoscoliosis of the [thoracic|thoracolumbar|lower thoracic] spine[| is noted].",
    (
        "[A |]{side} [chest wall|axillary|supraclavicular] soft tissue density is [noted|seen][|, likely a "
        "skin fold]."
    ),
    (
        "[Old|Healed|Chronic] deformity of the {side} [clavicle|humeral head|scapula|{ordinal} rib] is "
        "[noted|seen|again noted]."
    ),
    (
        "[Air-fluid levels|Dilated loops of bowel|A nonspecific bowel gas pattern] [are|is] [seen|noted] in "
        "the [upper abdomen|left upper quadrant]."
    ),
    (
        "The [azygos vein|superior vena cava|main pulmonary artery] is [prominent|mildly prominent|top "
        "normal in caliber]."
    ),
]
#: Said after a stable background finding of a patient with an earlier study.
NEUTRAL_TAIL = (
    ", unchanged",
    ", unchanged since {prior}",
    ", as on {prior}",
    ", similar to {prior}",
    ", stable since {prior}",
    ", not substantially changed from {prior}",
    ", also seen on {prior}",
)
NEUTRAL_PRIOR = [
    (
        "[Compared to|As compared to|In comparison with] [the prior study|the previous radiograph|{prior}], "
        "there is no [significant |relevant |]interval change."
    ),
    "As compared to [the previous radiograph|{prior}], the lung volumes have [slightly |]{lowchange}.",
    (
        "Re-demonstration of a [rounded|lucent|tubular|small] [density|lucency] over the [left upper "
        "abdomen|left "
        "upper quadrant], likely colonic [content|gas|interposition]."
    ),
    (
        "Otherwise, [little|no significant|no relevant|no] change since [the prior exam|the prior "
        "study|{prior}]."
    ),
    "[The examination|This study] is [compared with|compared to|read in conjunction with] {prior}.",
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
    "s/p chest tube removal, r/o pneumothorax",
    "chest tube in place, assess for interval change",
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
LOBES_RIGHT = ("lower lobe", "lower lobe", "upper lobe", "middle lobe", "lower lobe")
LOBES_LEFT = ("lower lobe", "lower lobe", "upper lobe", "lower lobe", "upper lobe")
ZONES = (
    "lung base",
    "mid lung",
    "upper lung",
    "lower lung",
    "perihilar region",
    "infrahilar region",
    "lung apex",
)
#: Distances from the carina (cm) some reports round to the half.
CM = ("2", "2.5", "3", "3.5", "4", "4.5", "5", "5.5", "6")
#: How a negated finding is "seen" (singular nouns); a patient with an earlier study also "develops" none.
SEEN = NEG_TAILS
SEEN_PRIOR = SEEN + (" is seen on the current study", " is seen today", " is appreciated on this study")
#: Hedges before a positive finding's likely cause.
HEDGE = ("likely", "most likely", "probably", "presumably", "likely representing", "which may represent")
#: Lines and tubes a negated pneumothorax or effusion is checked after.
DEVICES = (
    "right internal jugular line",
    "left internal jugular line",
    "right subclavian line",
    "left subclavian catheter",
    "right PICC line",
    "left PICC line",
    "left chest tube",
    "right chest tube",
    "central venous catheter",
    "right-sided central line",
    "left-sided central line",
    "pigtail catheter",
)
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
STABLE = (
    "stable",
    "unchanged",
    "similar to the prior study",
    "essentially unchanged",
    "not substantially changed",
    "grossly stable",
)
WORSENED = ("worsened", "increased", "progressed slightly", "improved slightly", "decreased")
#: Said of a finding seen on a prior study (only when the patient has one); never a negation cue.
#: ``{prior}``: that study, named as the reports do (:data:`PRIOR_SAME_DAY` and so on).
CHANGE = (
    ", unchanged",
    ", unchanged since {prior}",
    ", new since {prior}",
    ", new compared to {prior}",
    ", slightly larger than on {prior}",
    ", slightly smaller than on {prior}",
    ", similar to {prior}",
    ", increased since {prior}",
    ", decreased compared to {prior}",
    ", essentially unchanged",
    ", stable since {prior}",
    ", minimally improved since {prior}",
    ", somewhat worse than on {prior}",
    ", increased compared to {prior}",
    ", not substantially changed from {prior}",
    ", improved compared to {prior}",
    ", more conspicuous than on {prior}",
    ", less prominent than on {prior}",
    ", as on {prior}",
)
#: How a report names the patient's previous study; ``{at}`` is its time (``HH:MM``, kept by the
#: de-identification, which blanks dates as ``___``).
PRIOR_SAME_DAY = (
    "the radiograph from earlier today",
    "the study from earlier the same day",
    "the earlier radiograph at {at}",
    "___ at {at}",
    "the study of ___ at {at}",
    "the prior radiograph obtained at {at}",
    "the radiograph from earlier today at {at}",
)
PRIOR_YESTERDAY = (
    "yesterday's radiograph",
    "the radiograph from the previous day",
    "the study from yesterday",
    "___ at {at}",
    "the study of ___ at {at}",
    "yesterday's study at {at}",
    "the prior radiograph",
)
PRIOR_EARLIER = (
    "___",
    "the prior study of ___",
    "___ at {at}",
    "the radiograph from ___",
    "the most recent prior study",
    "the prior radiograph",
    "the study of ___ at {at}",
)
#: Said of a finding on a patient's first study.
CHANGE_FIRST = ("",)
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
    """A finding's sentence with the change clause (``{change}``) before its final period, unless it has one
    or already says how the finding changed (``{stable}``, ``{worsened}``)."""
    if any(
        k in template for k in ("{change}", "{stable}", "{worsened}", "{New}", "{Opq}")
    ) or not template.endswith("."):
        return template
    return template[:-1] + "{change}."


for _bank in (POSITIVE, UNCERTAIN):
    for _name, _templates in _bank.items():
        _bank[_name] = [_with_change(t) for t in _templates]
#: Technique lines some reports put in their findings, by kind of examination.
TECHNIQUE_PORTABLE = (
    (
        "[Portable|Single portable] AP [chest radiograph|view of the chest|radiograph of the chest][| was "
        "obtained][| at {clock}]."
    ),
    (
        "Portable [semi-upright|upright|semi-erect|supine] AP view of the chest[| was obtained| is "
        "provided][| at {clock}]."
    ),
    "AP portable [upright|semi-upright|supine] view of the chest[| at ___| at {clock}| obtained at {clock}].",
    (
        "Single [frontal|AP|portable frontal] view of the chest[| was obtained| is provided][| at ___| "
        "at {clock}| "
        "with the patient semi-upright| with the patient supine]."
    ),
)
TECHNIQUE_TWO_VIEWS = (
    "Chest PA and lateral",
    (
        "PA and lateral views of the chest[| were obtained| are provided][| at ___| at {clock}| with the "
        "patient upright| at {clock} with the patient upright]."
    ),
    (
        "[Frontal|PA] and lateral [views|radiographs] of the chest[| were obtained| were acquired| are "
        "submitted][| at ___| at {clock}]."
    ),
)
TECHNIQUE_ONE_VIEW = (
    "[PA|Frontal|Upright frontal|Upright PA] view of the chest[| was obtained| is provided][| at {clock}].",
    "Single [frontal|PA|upright PA] view of the chest[| was obtained| is provided][| at ___| at {clock}].",
)
