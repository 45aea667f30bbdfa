// Resolves every setting from, in order: command-line flags, the environment, an envdir, a config
// file. Each value remembers where it came from, so an error can say "PGPORT=5432 (envdir
// /etc/wal-e.d/env)" and a missing setting can list every place that was searched.
import { existsSync } from 'node:fs';
import { readConfigFile, type ConfigEntry } from './config-file.js';
import { DEFAULT_CONFIG_FILE, SETTINGS, type SettingKey } from './definitions.js';
import { readEnvdir } from './envdir.js';
import { Secret } from './secret.js';
import { withoutUrlCredentials } from './url-credentials.js';
import { ConfigError } from '../errors/errors.js';

export interface Sourced<T> {
  value: T;
  /** e.g. "flag --port", "environment PGPORT", "envdir /etc/wal-e.d/env: PGPORT" */
  source: string;
}

export interface SettingsInput {
  flags: Partial<Record<string, string | number | boolean | undefined>>;
  env: NodeJS.ProcessEnv;
  envdir?: string;
  configFile?: string;
}

export class Settings {
  private readonly values = new Map<SettingKey, Sourced<string>>();
  readonly searched: string[];

  constructor(input: SettingsInput) {
    const envdir = input.envdir ? readEnvdir(input.envdir) : undefined;
    const configPath = input.configFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
    const config: Map<string, ConfigEntry> | undefined = configPath ? readConfigFile(configPath) : undefined;
    this.searched = [
      'flags',
      'the environment',
      ...(input.envdir ? [`envdir ${input.envdir}`] : []),
      ...(configPath ? [`config file ${configPath}`] : []),
    ];
    for (const [key, def] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
      const found = this.lookup(def.env, 'flag' in def ? def.flag : undefined, input, envdir, config, configPath);
      if (found) this.values.set(key, found);
    }
  }

  private lookup(
    names: readonly string[],
    flag: string | undefined,
    input: SettingsInput,
    envdir: Map<string, string> | undefined,
    config: Map<string, ConfigEntry> | undefined,
    configPath: string | undefined,
  ): Sourced<string> | undefined {
    const flagValue = flag === undefined ? undefined : input.flags[flag];
    if (flagValue !== undefined && flagValue !== '') return { value: String(flagValue), source: `flag --${flag}` };
    for (const name of names) {
      const value = input.env[name];
      if (value !== undefined && value !== '') return { value, source: `environment ${name}` };
    }
    for (const name of names) {
      const value = envdir?.get(name);
      if (value !== undefined) return { value, source: `envdir ${input.envdir}: ${name}` };
    }
    for (const name of names) {
      const entry = config?.get(name);
      if (entry !== undefined && entry.value !== '') {
        return { value: entry.value, source: `config file ${configPath} line ${entry.line}: ${name}` };
      }
    }
    return undefined;
  }

  get(key: SettingKey): Sourced<string> | undefined {
    return this.values.get(key);
  }

  /** A secret setting, wrapped so that it cannot be logged by accident. */
  secret(key: SettingKey): Secret | undefined {
    const found = this.values.get(key);
    return found ? new Secret(found.value) : undefined;
  }

  /** Where a missing setting was looked for: flag and variable names, then the sources searched. */
  describeSearch(key: SettingKey): string {
    const def = SETTINGS[key];
    const names = [...('flag' in def ? [`--${def.flag}`] : []), ...def.env].join(', ');
    return `looked for ${names} in ${this.searched.join(', ')}`;
  }

  int(key: SettingKey, range: { min: number; max: number }): Sourced<number> | undefined {
    const found = this.values.get(key);
    if (!found) return undefined;
    const value = Number(found.value);
    if (!/^\d+$/.test(found.value.trim()) || value < range.min || value > range.max) {
      throw new ConfigError(
        `${SETTINGS[key].description}: ${JSON.stringify(found.value)} (${found.source}) is not a whole number from ${range.min} to ${range.max}`,
        { hint: `fix or remove it in ${found.source}` },
      );
    }
    return { value, source: found.source };
  }

  bool(key: SettingKey): Sourced<boolean> | undefined {
    const found = this.values.get(key);
    if (!found) return undefined;
    const text = found.value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(text)) return { value: true, source: found.source };
    if (['0', 'false', 'no', 'off'].includes(text)) return { value: false, source: found.source };
    throw new ConfigError(`${JSON.stringify(found.value)} (${found.source}) is not true or false`, {
      hint: `write true or false in ${found.source}`,
    });
  }

  /** For --debug output: every setting and its source, secrets hidden. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, found] of this.values) {
      const secret = 'secret' in SETTINGS[key] && SETTINGS[key].secret;
      out[key] = `${secret ? '[redacted]' : withoutUrlCredentials(String(found.value))} (${found.source})`;
    }
    return out;
  }
}
