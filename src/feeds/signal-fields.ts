import { FLAG_NAMES } from '../range-index/types.js';
import type { FlagName } from '../range-index/types.js';
import type { Signals } from '../security/record.js';
import { describeJson } from './json-feed.js';

/** Every field a source may supply: the record's own names, less the derived `is_anonymous`. */
export type SignalField = keyof Signals;

/** The record's flags a source may supply: all of them but the derived `is_anonymous`. */
type BooleanField = Exclude<FlagName, 'is_anonymous'> & SignalField;
export const BOOLEAN_FIELDS: readonly BooleanField[] = FLAG_NAMES.filter((flag): flag is BooleanField => flag !== 'is_anonymous');
const SCORE_FIELDS = ['threat_score', 'proxy_confidence_score', 'vpn_confidence_score'] as const satisfies readonly SignalField[];
const NAME_LIST_FIELDS = ['proxy_provider_names', 'vpn_provider_names'] as const satisfies readonly SignalField[];
const DATE_FIELDS = ['proxy_last_seen', 'vpn_last_seen'] as const satisfies readonly SignalField[];
const NAME_FIELDS = ['relay_provider_name', 'cloud_provider_name'] as const satisfies readonly SignalField[];

type ScoreField = (typeof SCORE_FIELDS)[number];
type NameListField = (typeof NAME_LIST_FIELDS)[number];
type DateField = (typeof DATE_FIELDS)[number];
type NameField = (typeof NAME_FIELDS)[number];

function among<T extends string>(list: readonly T[], name: string): name is T {
  return (list as readonly string[]).includes(name);
}

export const SIGNAL_FIELDS: readonly SignalField[] = [
  ...BOOLEAN_FIELDS,
  ...SCORE_FIELDS,
  ...NAME_LIST_FIELDS,
  ...DATE_FIELDS,
  ...NAME_FIELDS,
];

export function isSignalField(name: string): name is SignalField {
  return among(SIGNAL_FIELDS, name);
}

/** Derived by the record itself (SPEC section 1), so a source's value is accepted and dropped. */
export const IGNORED_FIELD = 'is_anonymous';

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/** YYYY-MM-DD, and a real calendar day. */
export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describeJson(value);
}

function isScore(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 100;
}

function splitNames(text: string): string[] {
  return text
    .split('|')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * Sets `field` from a CSV cell. An empty cell means "not given" and sets nothing. Returns an
 * error message naming the field and the value, or undefined when it was set.
 */
export function setFieldFromText(signals: Signals, field: SignalField, cell: string): string | undefined {
  const text = cell.trim();
  if (text === '') return undefined;
  if (among(BOOLEAN_FIELDS, field)) {
    const word = text.toLowerCase();
    if (TRUE_WORDS.has(word)) signals[field] = true;
    else if (FALSE_WORDS.has(word)) signals[field] = false;
    else return `${field}: ${quote(text)} is not a boolean (true/false, 1/0, yes/no)`;
    return undefined;
  }
  if (among(SCORE_FIELDS, field)) {
    const value = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!isScore(value)) return `${field}: ${quote(text)} is not an integer 0-100`;
    signals[field] = value;
    return undefined;
  }
  if (among(NAME_LIST_FIELDS, field)) {
    signals[field] = splitNames(text);
    return undefined;
  }
  if (among(DATE_FIELDS, field)) {
    if (!isIsoDate(text)) return `${field}: ${quote(text)} is not a date YYYY-MM-DD`;
    signals[field] = text;
    return undefined;
  }
  signals[field satisfies NameField] = text;
  return undefined;
}

/**
 * Sets `field` from a JSON value of its own type (null, or "" for text fields, means "not
 * given"). Provider name lists may also be one string joined by `|`, as in the CSV.
 */
export function setFieldFromJson(signals: Signals, field: SignalField, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (among(BOOLEAN_FIELDS, field)) {
    if (typeof value !== 'boolean') return `${field}: ${quote(value)} is not a boolean`;
    signals[field] = value;
    return undefined;
  }
  if (among(SCORE_FIELDS, field)) {
    if (typeof value !== 'number' || !isScore(value)) return `${field}: ${quote(value)} is not an integer 0-100`;
    signals[field] = value;
    return undefined;
  }
  if (among(NAME_LIST_FIELDS, field)) {
    if (typeof value === 'string') {
      signals[field] = splitNames(value);
      return undefined;
    }
    if (!Array.isArray(value) || !value.every((name): name is string => typeof name === 'string')) {
      return `${field}: ${quote(value)} is not a list of names`;
    }
    signals[field] = value.map((name) => name.trim()).filter((name) => name !== '');
    return undefined;
  }
  if (typeof value !== 'string') return `${field}: ${quote(value)} is not a string`;
  if (value.trim() === '') return undefined;
  if (among(DATE_FIELDS, field)) {
    if (!isIsoDate(value)) return `${field}: ${quote(value)} is not a date YYYY-MM-DD`;
    signals[field] = value;
    return undefined;
  }
  signals[field satisfies NameField] = value.trim();
  return undefined;
}

export type { BooleanField, DateField, NameField, NameListField, ScoreField };
