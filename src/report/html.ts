// The HTML shell every report of a run uses (data pipeline, training, recipe): one self-contained file,
// charts inline as SVG, no scripts.

/** Text made safe for HTML element content and attribute values. */
export function escapeHtml(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}' +
  'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}td.n{text-align:right}' +
  'pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;overflow:auto}code{background:#f6f6f6}';

/** A complete HTML document: `title` (escaped here) as <title> and <h1>, `body` as given. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

/** The closing "Settings" section of a Markdown report: the run's exact options as JSON. */
export function settingsMarkdown(settingsJson: string): string[] {
  return ['## Settings', '', '```json', settingsJson, '```', ''];
}
