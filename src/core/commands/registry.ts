import type { Command } from './command.js';
import { courseCommands } from './course.js';
import { helpCommand } from './help.js';
import { nextCommand } from './next.js';
import { remindCommand } from './remind.js';
import { resourcesCommand } from './resources.js';
import { scheduleCommand } from './schedule.js';
import { setupCommand } from './setup.js';
import { todayCommand } from './today.js';
import { tomorrowCommand } from './tomorrow.js';
import { weekCommand } from './week.js';

/** Every command the bot answers, in the order `/help` lists them. */
export const commands: readonly Command[] = [
  todayCommand,
  tomorrowCommand,
  weekCommand,
  nextCommand,
  scheduleCommand,
  resourcesCommand,
  setupCommand,
  remindCommand,
  helpCommand,
  ...courseCommands,
];

