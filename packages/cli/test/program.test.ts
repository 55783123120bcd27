/** Which command group's module a command line loads. */

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { Context } from '../src/context.js';
import { processIo } from '../src/io.js';
import { buildProgram, commandWord } from '../src/program.js';

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

describe('buildProgram', () => {
  const build = (argv: string[]) => buildProgram(new Command(), new Context(processIo(), () => ({})), argv);
  const names = (program: Command) => program.commands.map((c) => c.name());

  it('registers only the command group the line names, found by name or alias', async () => {
    expect(names(await build(['submit', '--cmd', 'true']))).toEqual(['submit']);
    expect(names(await build(['describe', '3']))).toEqual(['show']);
    expect(names(await build(['--url', 'http://127.0.0.1:1', 'release', '3']))).toEqual([
      'kill',
      'suspend',
      'resume',
      'hold',
      'release',
    ]);
  });

  it('registers none for --version and all for help or an unknown command', async () => {
    expect(names(await build(['--version']))).toEqual([]);
    const all = names(await build(['--help']));
    expect(all).toContain('server');
    expect(all).toContain('project');
    expect(names(await build(['subimt']))).toEqual(all);
  });
});
