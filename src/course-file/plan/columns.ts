/** What a column of a time plan table holds. */
export type Role = 'date' | 'day' | 'topic' | 'frameworks' | 'format' | 'location' | 'notes' | 'time' | 'week' | 'coursework' | 'people' | 'ignore' | 'extra';

// Header words by meaning, as course pages word them (English first, then Danish, German, Swedish/Norwegian, Dutch).
// Tested in order against the whole header and then against each of its words, so "Presentation topic" is a topic and
// "Date/Day" a date.
const SYNONYMS: readonly (readonly [Exclude<Role, 'extra' | 'ignore'>, RegExp])[] = [
  ['week', /^(week|wk|uge|woche|vecka|uke|week no\.?|week #|#)$/],
  ['date', /^(dates?|when|dato|datum|termin|termine|datum\/tag|fecha|date\/day|day\/date|day and date|date and day)$/],
  ['day', /^(days?|weekdays?|week ?day|dag|ugedag|tag|wochentag|veckodag|ukedag)$/],
  ['time', /^(times?|hours?|tid|zeit|uhrzeit|klokken|kl\.?|time ?slot|slot)$/],
  [
    'topic',
    /^(topics?|subjects?|lectures?|lecture topics?|contents?|themes?|titles?|sessions?|presentation topics?|presentation|sections?|modules?|units?|chapters?|what|agenda|class|class topics?|description|beschreibung|beskrivelse|emne|emner|indhold|tema|thema|themen|inhalt|vorlesung|ämne|innehåll|onderwerp)$/,
  ],
  [
    'frameworks',
    /^(frameworks?|framework\/exercises?|tools?|tooling|exercises?|labs?|lab sessions?|tutorials?|practicals?|hands-on|software|technolog(y|ies)|stack|øvelser|opgaver|værktøjer|übungs?|übungen|werkzeuge|övningar|verktyg)$/,
  ],
  ['format', /^(format|type|kind|form|mode|activity|session type|undervisningsform|art|typ)$/],
  ['location', /^(location|room|where|place|venue|building|lokale|sted|lokation|ort|raum|hörsaal|sal|plats)$/],
  // Work for students, kept on the session as "Readings: Ch. 2".
  [
    'coursework',
    /^(readings?|required readings?|preparation|prep|homework|hw|hws|problem sets?|psets?|quiz(zes)?|labs? due|assignments?|due|deliverables?|hand-?ins?|materials?|literature|litteratur|pensum|læsning|forberedelse|lektüre|hausaufgaben?|abgabe)$/,
  ],
  ['people', /^(presenters?|presenter\(s\)|speakers?|speaker\(s\)|instructors?|lecturers?|teachers?|who|ta|tas|by|led by|underviser|undervisere|dozent|dozentin|referent)$/],
  [
    'notes',
    /^(notes?|remarks?|comments?|info|information|details|misc|other|bemærkninger|noter|kommentarer|bemerkungen|hinweise|anmerkungen|anteckningar)$/,
  ],
];

/** The meaning of a header's text, or 'extra' when none fits. */
export function roleOfHeader(header: string): Role {
  const words = header.toLowerCase().replace(/[*_`:]/g, '').trim();
  for (const [role, pattern] of SYNONYMS) if (pattern.test(words)) return role;
  // "Lecture topic (slides)", "Tools used", "Date (2026)": the first word that has a meaning decides.
  for (const word of words.split(/[\s/&,()+-]+/).filter(Boolean)) {
    for (const [role, pattern] of SYNONYMS) if (role !== 'week' && pattern.test(word)) return role;
  }
  return 'extra';
}
