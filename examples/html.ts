/** Markup that is already safe: built by `html`, so every value inside it was escaped. */
export class Html {
  constructor (readonly text: string) {}
}

type Interpolation = Html | string | number | readonly Html[]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!)
}

function render (value: Interpolation): string {
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** A template literal tag: every interpolated value is escaped unless it is `Html` built by this tag. */
export function html (strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let text = strings[0]!
  values.forEach((value, index) => { text += render(value) + strings[index + 1] })
  return new Html(text)
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; }
  header { background: #24292f; color: #fff; padding: 12px 24px; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { max-width: 920px; margin: 0 auto; padding: 16px 24px 32px; }
  section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
  h1, h2 { margin: 0 0 8px; font-size: 1.3em; }
  h2 { font-size: 1.1em; }
  .flash { border-radius: 6px; padding: 8px 12px; margin: 8px 0; background: #dafbe1; border: 1px solid #4ac26b; }
  .flash.warning, .refused { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; }
  form { display: inline-block; margin: 4px 8px 4px 0; }
  label { margin-right: 12px; }
  input[type=text] { font: inherit; padding: 4px 8px; border: 1px solid #d0d7de; border-radius: 6px; }
  button { font: inherit; padding: 4px 14px; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; }
  button.secondary { background: #f6f8fa; color: #1f2328; border-color: #d0d7de; }
  code, pre { font: 13px/1.45 ui-monospace, monospace; }
  pre { background: #f6f8fa; border-radius: 6px; padding: 8px 12px; margin: 4px 0; white-space: pre-wrap; word-break: break-all; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-top: 1px solid #d0d7de; }
  th { width: 200px; font-weight: 600; }
  td code { word-break: break-all; }
  .payload { color: #0550ae; } .timestamp { color: #953800; } .signature { color: #1a7f37; }
  .muted { color: #59636e; }
`

/** The whole HTML document around a page's content. */
export function page (title: string, content: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · fastify-cookie-session demo</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<header><a href="/">fastify-cookie-session demo</a></header>
<main>
${content}
</main>
</body>
</html>
`
}
