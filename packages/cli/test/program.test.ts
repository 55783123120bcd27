/** Which command group's module a command line loads. */
import { describe, expect, it } from 'vitest';
import { commandWord } from '../src/program.js';

describe('commandWord', () => {
  it.each([
    [['submit', '--cmd', 'true'], 'submit'],
    [['--url', 'http://127.0.0.1:1', '--token', 't', 'jobs'], 'jobs'],
    [['--url=http://127.0.0.1:1', 'kill', '3'], 'kill'],
    [['--help'], undefined],
    [['--url', 'submit'], undefined],
    [[], undefined],
  ])('%j -> %s', (argv, word) => {
    expect(commandWord(argv)).toBe(word);
  });
});
