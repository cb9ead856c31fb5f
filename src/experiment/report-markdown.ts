// The reports' markdown as HTML: the headings, paragraphs, tables and inline emphasis that
// channelscope's reports write (nothing else), every text escaped first. Pure: the HTML report
// page and the dashboard's view of a procedure's folder both show report.md this way.

/** Text made safe to place in HTML (and in a double-quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Inline markdown of the reports: **bold**, *emphasis*, `code` (in text already escaped). */
function inlineMarkdown(text: string): string {
  return text
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?=[^*\w]|$)/g, '$1<em>$2</em>');
}

/** A markdown table row's cells: split at pipes, except escaped ones (`\|`, as in |f − f_GLU|). */
function tableCells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * A procedure's markdown report as HTML: its headings, paragraphs and tables (the only markdown the
 * reports write), so its tables read as tables with aligned columns rather than pipes wrapping in a
 * narrow window. Numeric columns (`---:`) are right-aligned as in the markdown.
 */
export function markdownReportHtml(markdown: string): string {
  const blocks = markdown.split(/\n\s*\n/).map((block) => block.split('\n').filter((line) => line.trim() !== '')).filter((lines) => lines.length > 0);
  return blocks
    .map((lines) => {
      const heading = /^(#{1,6})\s+(.*)$/.exec(lines[0]);
      if (heading && lines.length === 1) {
        const level = Math.min(6, heading[1].length + 1);
        return `<h${level}>${inlineMarkdown(escapeHtml(heading[2]))}</h${level}>`;
      }
      if (lines.length >= 2 && lines.every((line) => line.trim().startsWith('|')) && /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$/.test(lines[1].trim())) {
        const right = tableCells(lines[1]).map((cell) => cell.endsWith(':'));
        const row = (line: string, tag: 'th' | 'td') =>
          `<tr>${tableCells(line).map((cell, k) => `<${tag}${right[k] ? ' class="number"' : ''}>${inlineMarkdown(escapeHtml(cell))}</${tag}>`).join('')}</tr>`;
        return `<div class="table-scroll"><table class="markdown">\n<thead>${row(lines[0], 'th')}</thead>\n<tbody>\n${lines.slice(2).map((line) => row(line, 'td')).join('\n')}\n</tbody></table></div>`;
      }
      return `<p>${inlineMarkdown(escapeHtml(lines.join(' ')))}</p>`;
    })
    .join('\n');
}
