// Exports: a figure as SVG text or PNG, tables as CSV. Browser only (Blob, canvas, a download link).
import { formatReport } from '../../../src/experiment/report-text.js';
import type { Report } from '../../../src/experiment/summary.js';

/** The figure as a standalone SVG document (namespaces set, so it opens in any viewer). */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadSvg(svg: SVGSVGElement, filename: string): void {
  download(new Blob([svgText(svg)], { type: 'image/svg+xml' }), filename);
}

/** Rasterises the SVG at `scale` × its size (2: sharp on slides and high-density screens). */
export async function pngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const width = Number(svg.getAttribute('width')) || svg.getBoundingClientRect().width;
  const height = Number(svg.getAttribute('height')) || svg.getBoundingClientRect().height;
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'sync';
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the browser could not rasterise the SVG'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext('2d')!;
    context.fillStyle = 'white';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas produced no PNG'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function downloadPng(svg: SVGSVGElement, filename: string, scale = 2): Promise<void> {
  download(await pngBlob(svg, scale), filename);
}

export function downloadText(text: string, filename: string, type = 'text/plain'): void {
  download(new Blob([text], { type: `${type};charset=utf-8` }), filename);
}

/** What the summary CSV holds, for the title of the buttons that download it. */
export const SUMMARY_CSV_TITLE = 'runs, fractions and 95% Wilson intervals per group and outcome, and medians, as `channelscope report --format csv` writes them';

/** The summary table as CSV, in the command line's format. */
export function downloadSummaryCsv(report: Report): void {
  downloadText(formatReport(report, 'csv'), `${fileStem(`summary ${report.source}`)}.csv`, 'text/csv');
}

/** A file name from a title: lower case, words joined by hyphens. */
export function fileStem(title: string): string {
  return (
    title
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'chart'
  );
}
