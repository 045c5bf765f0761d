// The practice run: a short section drawn with the same screens as the real assessment, so a
// candidate can try the questions, the case material, flagging, the review page and the timer
// before the day. It is written for this page, unrelated to any real content; nothing in it is
// sent to the client, saved or marked.

export const PRACTICE_MINUTES = 10;

export const practiceSection = {
  id: 'practice',
  kind: 'scenario',
  title: 'Practice run',
  intro: [
    'This practice run shows how the assessment works. It has three easy questions of the three '
      + 'kinds you will meet: choose one answer, choose a set number of answers, and a short '
      + 'written answer.',
    'Try moving between questions, flagging a question for review, and the review page at the end. '
      + 'Nothing here is saved or marked.',
  ],
  case_material: [
    {
      title: 'Practice case note: a community library',
      paragraphs: [
        'In the real assessment, scenario sections have case material like this beside the '
          + 'questions: a referral, a chronology or a case note. You can read it at any time.',
        'The Elm Street library opens from 9am to 5pm on weekdays and from 10am to 1pm on '
          + 'Saturdays. It is closed on Sundays. It runs a reading group for children on Tuesday '
          + 'afternoons and a job club on Thursday mornings.',
      ],
    },
  ],
  items: [
    {
      id: 'practice-1',
      type: 'single',
      stem: ['According to the case note, on which day is the library closed?'],
      options: ['Monday', 'Thursday', 'Saturday', 'Sunday'],
    },
    {
      id: 'practice-2',
      type: 'multiple',
      select: 2,
      stem: ['Which two groups does the library run, according to the case note?'],
      options: ['A reading group for children', 'A gardening club', 'A job club', 'A choir'],
    },
    {
      id: 'practice-3',
      type: 'written',
      stem: [
        'In a few sentences, describe how you would plan your day before a long assessment.',
        'This is only to try the answer box: watch the word count change as you type.',
      ],
      words: { min: 30, max: 120 },
    },
  ],
};
