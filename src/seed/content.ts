/** Synthetic clinical content for the sandbox. Names are invented combinations; no record describes a real person. */

export const FIRST_NAMES = [
  'Avery',
  'Jordan',
  'Rowan',
  'Emery',
  'Quinn',
  'Harper',
  'Sage',
  'Marlo',
  'Tobin',
  'Linnea',
  'Casimir',
  'Odette',
  'Pax',
  'Wren',
  'Ellis',
  'Noor',
] as const;

export const LAST_NAMES = [
  'Sampleton',
  'Testwood',
  'Placeholder',
  'Fictiva',
  'Mockridge',
  'Demoford',
  'Examplar',
  'Synthson',
  'Dummont',
  'Proxley',
] as const;

export type Speaker = 'clinician' | 'patient' | 'other';

export interface Scenario {
  title: string;
  subjective: string;
  objective: string;
  assessment: string;
  plan: string[];
  dialogue: readonly (readonly [Speaker, string])[];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    title: 'Persistent cough',
    subjective: 'Dry cough for two weeks, worse at night. No fever, no shortness of breath. Non-smoker.',
    objective: 'Temp 36.8 °C, SpO2 98 %, lungs clear to auscultation, mild pharyngeal erythema.',
    assessment: 'Post-viral cough, most likely.',
    plan: ['Honey and fluids; humidifier at night.', 'Return if fever or breathlessness develops.'],
    dialogue: [
      ['clinician', 'Good morning. What brings you in today?'],
      ['patient', "I've had this dry cough for about two weeks now."],
      ['clinician', 'Is it worse at any particular time of day?'],
      ['patient', 'Mostly at night. It keeps me awake.'],
      ['clinician', 'Any fever, chills, or trouble breathing?'],
      ['patient', 'No, none of that.'],
      ['clinician', 'Let me listen to your lungs. Deep breath in... and out. That sounds clear.'],
      ['clinician', "This looks like a cough that lingers after a cold. Let's try some simple measures first."],
      ['patient', 'Okay, that sounds good.'],
    ],
  },
  {
    title: 'Right knee pain',
    subjective: 'Right knee pain after a weekend hike, swelling on the first day, now improving.',
    objective: 'Mild effusion, full range of motion, stable ligaments, no joint-line tenderness.',
    assessment: 'Right knee strain without signs of internal derangement.',
    plan: ['Relative rest, ice, compression.', 'Physiotherapy referral if not improved in three weeks.'],
    dialogue: [
      ['clinician', 'Hi there. I hear your knee has been bothering you.'],
      ['patient', 'Yes, my right knee. It started after a long hike on Saturday.'],
      ['clinician', 'Did you twist it or hear a pop?'],
      ['patient', 'No pop. It just swelled up that evening.'],
      ['clinician', "I'm going to move it gently. Tell me if anything hurts."],
      ['patient', 'A little stiff, but not painful.'],
      ['clinician', 'The ligaments feel stable. I think this is a strain that should settle with rest.'],
      ['patient', 'Can I keep walking on it?'],
      ['clinician', 'Yes, short walks are fine. Avoid hills for a couple of weeks.'],
    ],
  },
  {
    title: 'Tension-type headache',
    subjective: 'Bilateral pressing headaches in the afternoons for a month; long screen hours at work.',
    objective: 'Normal neurological examination, BP 122/78, tender pericranial muscles.',
    assessment: 'Tension-type headache.',
    plan: ['Screen breaks and posture review.', 'Headache diary; review in six weeks.'],
    dialogue: [
      ['clinician', 'Tell me about these headaches.'],
      ['patient', 'They come most afternoons, like a band around my head.'],
      ['clinician', 'How long have they been happening?'],
      ['patient', 'About a month. Work has been busy, lots of screen time.'],
      ['clinician', 'Any changes in vision, weakness, or numbness?'],
      ['patient', 'No, nothing like that.'],
      ['clinician', 'Your examination is normal, which is reassuring.'],
      ['clinician', "Let's keep a diary and look at breaks from the screen."],
    ],
  },
  {
    title: 'Hypertension follow-up',
    subjective: 'Home readings averaging 134/84 on current dose. No side effects reported.',
    objective: 'BP 132/82, HR 70, weight stable.',
    assessment: 'Essential hypertension, improving control.',
    plan: ['Continue current medication.', 'Repeat basic metabolic panel in three months.'],
    dialogue: [
      ['clinician', 'How have your home blood pressure readings been?'],
      ['patient', 'Mostly in the low one-thirties over low eighties.'],
      ['clinician', "That's a good improvement. Any dizziness or ankle swelling?"],
      ['patient', 'No, I feel fine.'],
      ['other', 'The cuff reading today is one thirty-two over eighty-two.'],
      ['clinician', "Thanks. Let's keep the same dose and recheck your labs in three months."],
      ['patient', 'Sounds good.'],
    ],
  },
  {
    title: 'Itchy rash on forearms',
    subjective: 'Itchy rash on both forearms for five days after gardening.',
    objective: 'Linear papulovesicular eruption on both forearms; no signs of infection.',
    assessment: 'Allergic contact dermatitis, plant-related.',
    plan: ['Topical corticosteroid twice daily for one week.', 'Gloves and long sleeves when gardening.'],
    dialogue: [
      ['clinician', 'Let me take a look at that rash.'],
      ['patient', 'It started after I cleared the back of the garden.'],
      ['clinician', 'Is it itchy or painful?'],
      ['patient', 'Very itchy, especially at night.'],
      ['clinician', 'The pattern in lines suggests contact with a plant.'],
      ['clinician', "A cream for a week should calm it down. Wear gloves next time you're out there."],
      ['patient', 'Will do, thank you.'],
    ],
  },
  {
    title: 'Low back pain',
    subjective: 'Low back pain for three days after lifting boxes; no leg symptoms, no bladder changes.',
    objective: 'Paraspinal tenderness L4–L5, negative straight-leg raise, normal strength and reflexes.',
    assessment: 'Acute mechanical low back pain without red flags.',
    plan: ['Stay active; heat and simple analgesia.', 'Return if numbness, weakness or bladder changes.'],
    dialogue: [
      ['clinician', 'When did the back pain start?'],
      ['patient', 'Three days ago, after moving some heavy boxes.'],
      ['clinician', 'Does the pain go down either leg?'],
      ['patient', 'No, it stays in my lower back.'],
      ['clinician', 'Any numbness or changes with your bladder?'],
      ['patient', 'No.'],
      ['clinician', 'Good. Keep moving gently; bed rest tends to slow recovery.'],
    ],
  },
];

export interface Turn {
  speaker: Speaker;
  start: number;
  end: number;
  text: string;
}

/** Turns in time order: each lasts about 0.35 s per word, with short pauses between speakers. */
export function timedTurns(scenario: Scenario, pause: () => number): Turn[] {
  const turns: Turn[] = [];
  let clock = 0.4;
  for (const [speaker, text] of scenario.dialogue) {
    const duration = Math.max(1, text.split(/\s+/).length * 0.35);
    const start = Math.round(clock * 10) / 10;
    const end = Math.round((clock + duration) * 10) / 10;
    turns.push({ speaker, start, end, text });
    clock = end + pause();
  }
  return turns;
}

export function soapNote(scenario: Scenario, patientName: string): string {
  return [
    `# ${scenario.title}`,
    '',
    `_Synthetic sandbox note for ${patientName}._`,
    '',
    '## Subjective',
    scenario.subjective,
    '',
    '## Objective',
    scenario.objective,
    '',
    '## Assessment',
    scenario.assessment,
    '',
    '## Plan',
    ...scenario.plan.map((step) => `- ${step}`),
    '',
  ].join('\n');
}

export function intakeForm(patientName: string): string {
  return [
    '# Patient intake form',
    '',
    `- Name: ${patientName}`,
    '- Allergies: none known',
    '- Current medications: none',
    '- Reason for visit: see encounter notes',
    '',
  ].join('\n');
}
