import { UserError } from '../errors.ts';
import { EXPORT_FORMATS, isExportFormat, type ExportFormat } from '../export/index.ts';

/** Option parsers shared by the sub-commands: each refuses bad values with one clear line. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

export function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`${name} must be a non-negative number, got "${value}"`);
    return n;
  };
}

export function intList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw new UserError(`${name} must be a comma-separated list of positive integers, got "${value}"`);
    return parts.map((p) => positiveInt(name)(p));
  };
}

/** One of `values`, by name. */
export function choice<T extends string>(name: string, values: readonly T[]) {
  return (value: string): T => {
    if ((values as readonly string[]).includes(value)) return value as T;
    throw new UserError(`${name} must be one of ${values.join(', ')}, got "${value}"`);
  };
}

export function stringList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `--exports`: a comma-separated list of export formats, or `none`. */
export function exportList(value: string): ExportFormat[] {
  if (value === 'none') return [];
  const list = stringList(value);
  for (const f of list) if (!isExportFormat(f)) throw new UserError(`--exports: unknown format "${f}" (choose from ${Object.keys(EXPORT_FORMATS).join(', ')}, or none)`);
  return list as ExportFormat[];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
