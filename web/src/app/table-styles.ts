// The look of channelscope's tables, one source for all of them: the summary table (cs-summary-table)
// and every other table of the dashboard and the report page (cs-table). A table sits in a box that
// scrolls sideways; while columns lie past the right edge, that edge fades, and once scrolled the first
// column stays put with a shadow beside it (ScrollEdgesController sets more-left and more-right).
import { css } from 'lit';

export const tableStyles = css`
  .scroll { overflow-x: auto; }
  .frame { position: relative; }
  .frame::after { content: ''; position: absolute; top: 0; right: 0; bottom: 0; width: 32px; pointer-events: none;
    background: linear-gradient(to left, rgba(0, 0, 0, 0.18), rgba(0, 0, 0, 0)); opacity: 0; transition: opacity 0.15s; }
  .frame.more-right::after { opacity: 1; }
  th:first-child, td:first-child { position: sticky; left: 0; z-index: 1; background: #fff; }
  .frame.more-left th:first-child, .frame.more-left td:first-child { box-shadow: 8px 0 8px -6px rgba(0, 0, 0, 0.35); border-right: 1px solid #ccc; }
  /* separate borders: collapsed ones stay behind when the sticky column moves */
  table { border-collapse: separate; border-spacing: 0; width: 100%; font-variant-numeric: tabular-nums; }
  /* outside the scrolling box (a <caption> would scroll with the table and be cut at the edge) */
  .caption { color: #444; margin: 0; padding: 4px 0; font-size: 12.5px; }
  th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 4px; vertical-align: top; }
  thead th { font-weight: 600; border-bottom: 2px solid #bbb; font-size: 12.5px; vertical-align: bottom; }
  th, td { text-align: left; }
  .num { text-align: right; }
  td.num { white-space: nowrap; }
  .unbroken { white-space: nowrap; }
  /* small enough that the summary's six outcome columns fit a one-column page (800 px) */
  .interval { color: #666; font-size: 11px; }
`;
