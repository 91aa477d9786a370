import { UserFacingError } from '../errors.js';
import { reminderStatusText } from '../reminders.js';
import { message } from '../messages.js';
import { defineCommand } from './command.js';

const CHOICES = [
  { name: 'evening: the evening before each session', value: 'evening' },
  { name: 'morning: an hour before each session', value: 'morning' },
  { name: 'off: no reminders', value: 'off' },
] as const;

export const remindCommand = defineCommand({
  name: 'remind',
  description: 'A direct message before each session: evening, morning or off (alone: what is set)',
  audience: 'everyone',
  own: true,
  options: [
    {
      name: 'when',
      type: 'string',
      description: 'evening (the evening before), morning (an hour before), or off',
      suggest: (_context, typed) => CHOICES.filter((choice) => choice.value.startsWith(typed.trim().toLowerCase())),
    },
  ],
  run({ course, actor, reminders }, { when }) {
    if (!reminders || !actor) throw new UserFacingError('unavailable', 'Reminders are not available here.');
    const wanted = when?.trim().toLowerCase();
    if (wanted !== undefined && wanted !== 'evening' && wanted !== 'morning' && wanted !== 'off') {
      throw new UserFacingError('bad-option', `"${when}" is no reminder setting: use /remind evening, /remind morning or /remind off.`);
    }
    const status =
      wanted === undefined ? reminders.get(actor.platform, actor.id) : reminders.set(actor.platform, actor.id, wanted);
    const changed = wanted === undefined ? '' : 'Done. ';
    return message({ title: `${changed}${reminderStatusText(status, course, reminders.evening)}` });
  },
});
