'use strict'

// A horizontal grouped bar chart as plain SVG text: one group per route, one bar per server,
// the bar's length its throughput as a fraction of bare Fastify in the same round.

const WIDTH_PX = 760
const LABEL_WIDTH_PX = 250
const BAR_HEIGHT_PX = 16
const BAR_GAP_PX = 3
const GROUP_GAP_PX = 18
const TOP_PX = 44
const BOTTOM_PX = 36
const MAX_RATIO = 1.2
const COLOURS = {
  bare: '#9e9e9e',
  ours: '#1565c0',
  'ours-flask': '#64b5f6',
  'secure-session': '#e65100',
  session: '#8e24aa',
  cookie: '#2e7d32'
}

function escapeXml (text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * @param {Array<{ route: string, bars: Array<{ variant: string, label: string, ratio: number, low: number, high: number }> }>} groups
 * @param {string} subtitle
 */
function ratioChartSvg (groups, subtitle) {
  const plotWidthPx = WIDTH_PX - LABEL_WIDTH_PX - 60
  const x = (ratio) => LABEL_WIDTH_PX + Math.min(ratio, MAX_RATIO) / MAX_RATIO * plotWidthPx
  const barCount = groups.reduce((count, group) => count + group.bars.length, 0)
  const heightPx = TOP_PX + BOTTOM_PX + barCount * (BAR_HEIGHT_PX + BAR_GAP_PX) + groups.length * (GROUP_GAP_PX + 14)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${heightPx}" viewBox="0 0 ${WIDTH_PX} ${heightPx}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH_PX}" height="${heightPx}" fill="#ffffff"/>`,
    '<text x="10" y="18" font-size="15" font-weight="bold">Requests per second as a fraction of bare Fastify (same round)</text>',
    `<text x="10" y="34" fill="#555">${escapeXml(subtitle)}</text>`
  ]
  for (let tick = 0; tick <= MAX_RATIO + 1e-9; tick += 0.2) {
    const tickX = x(tick).toFixed(1)
    parts.push(`<line x1="${tickX}" y1="${TOP_PX}" x2="${tickX}" y2="${heightPx - BOTTOM_PX}" stroke="${Math.abs(tick - 1) < 1e-9 ? '#333' : '#e0e0e0'}"/>`)
    parts.push(`<text x="${tickX}" y="${heightPx - BOTTOM_PX + 14}" text-anchor="middle" fill="#555">${tick.toFixed(1)}×</text>`)
  }
  let y = TOP_PX + 4
  for (const group of groups) {
    parts.push(`<text x="10" y="${y + 11}" font-weight="bold">${escapeXml(group.route)}</text>`)
    y += 14
    for (const bar of group.bars) {
      const colour = COLOURS[bar.variant] ?? '#607d8b'
      parts.push(`<text x="${LABEL_WIDTH_PX - 6}" y="${y + BAR_HEIGHT_PX - 4}" text-anchor="end">${escapeXml(bar.label)}</text>`)
      parts.push(`<rect x="${LABEL_WIDTH_PX}" y="${y}" width="${(x(bar.ratio) - LABEL_WIDTH_PX).toFixed(1)}" height="${BAR_HEIGHT_PX}" fill="${colour}"/>`)
      // The whisker spans the lowest to the highest per-round ratio.
      const whiskerY = y + BAR_HEIGHT_PX / 2
      parts.push(`<line x1="${x(bar.low).toFixed(1)}" y1="${whiskerY}" x2="${x(bar.high).toFixed(1)}" y2="${whiskerY}" stroke="#000" stroke-opacity="0.55"/>`)
      parts.push(`<text x="${(Math.max(x(bar.ratio), x(bar.high)) + 5).toFixed(1)}" y="${y + BAR_HEIGHT_PX - 4}">${bar.ratio.toFixed(2)}</text>`)
      y += BAR_HEIGHT_PX + BAR_GAP_PX
    }
    y += GROUP_GAP_PX
  }
  parts.push(`<text x="10" y="${heightPx - 8}" fill="#555">Bar: median of the per-round ratios; whisker: lowest to highest round. Drawn by bench/chart.js.</text>`)
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

module.exports = { ratioChartSvg }
