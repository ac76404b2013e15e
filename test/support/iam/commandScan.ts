import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A command class product code constructs, and where. */
export interface CommandUse {
  /** `<npm package>#<command class>`, as {@link commandKey} names a recorded call's command. */
  readonly key: string;
  /** Files (relative to the scanned root) that construct it. */
  readonly files: readonly string[];
}

/** `<npm package>#<command class>`: one name for a command class, whichever file imports it. */
export const commandKey = (sdkPackage: string, command: string): string => `${sdkPackage}#${command}`;

/**
 * Every AWS SDK command class constructed (`new XCommand(`) in the TypeScript files under `dirs`
 * (relative to `root`), by the package it is imported from. An SDK import the scan cannot follow
 * (a namespace import, a command constructed under a name not imported from an `@aws-sdk/` package,
 * a `require`) throws: the guard must see every command the code can send.
 */
export function scanCommandUses(root: string, dirs: readonly string[]): CommandUse[] {
  const uses = new Map<string, Set<string>>();
  for (const file of dirs.flatMap((dir) => typeScriptFiles(path.join(root, dir)))) {
    const relative = path.relative(root, file);
    for (const key of commandsConstructedIn(readFileSync(file, 'utf8'), relative)) {
      uses.set(key, (uses.get(key) ?? new Set()).add(relative));
    }
  }
  return [...uses]
    .map(([key, files]) => ({ key, files: [...files].sort() }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** The command keys one source file constructs. */
export function commandsConstructedIn(source: string, file: string): string[] {
  if (/import\s+\*\s+as\s+\w+\s+from\s+['"]@aws-sdk\//.test(source) || /require\(\s*['"]@aws-sdk\//.test(source)) {
    throw new Error(`${file} imports an AWS SDK package in a way the command scan cannot follow`);
  }
  const imported = new Map<string, string>();
  for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/g)) {
    const [, names = '', sdkPackage = ''] = match;
    for (const specifier of names.split(',')) {
      const parts = specifier
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      const [name, alias = name] = parts;
      if (name) imported.set(alias as string, commandKey(sdkPackage, name));
    }
  }
  const found = new Set<string>();
  for (const [, constructed = ''] of source.matchAll(/new\s+([A-Za-z_$][\w$]*)\s*\(/g)) {
    const key = imported.get(constructed);
    if (key !== undefined) {
      if (key.endsWith('Command')) found.add(key);
    } else if (constructed.endsWith('Command')) {
      throw new Error(`${file} constructs ${constructed}, which is not imported from an @aws-sdk/ package by name`);
    }
  }
  return [...found];
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}
