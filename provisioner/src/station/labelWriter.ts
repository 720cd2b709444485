/**
 * Label data for the printer: one record per finished fob (serial, model, batch, date), appended
 * to a CSV file (when the name ends in .csv) or JSON lines. Writing is idempotent by serial, so a
 * station that crashed between writing a label and journaling it does not print it twice.
 */
import { appendFileSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FobLabel {
  serial: string;
  model: string;
  batch: string;
  /** ISO 8601 date (UTC) of provisioning. */
  date: string;
}

const CSV_HEADER = 'serial,model,batch,date\n';

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export class LabelWriter {
  readonly path: string;
  private readonly csv: boolean;
  private readonly written = new Set<string>();

  constructor(path: string) {
    this.path = path;
    this.csv = path.toLowerCase().endsWith('.csv');
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const serial = this.csv ? line.split(',')[0] : (/"serial":"([^"]+)"/.exec(line)?.[1]);
        if (serial) this.written.add(serial.replace(/"/g, ''));
      }
    }
  }

  has(serial: string): boolean {
    return this.written.has(serial);
  }

  /** Appends the label unless this serial's label is already in the file. */
  write(label: FobLabel): void {
    if (this.written.has(label.serial)) return;
    const line = this.csv
      ? [label.serial, label.model, label.batch, label.date].map(csvField).join(',') + '\n'
      : JSON.stringify({ serial: label.serial, model: label.model, batch: label.batch, date: label.date }) + '\n';
    const header = this.csv && !existsSync(this.path) ? CSV_HEADER : '';
    appendFileSync(this.path, header + line);
    this.written.add(label.serial);
  }
}
