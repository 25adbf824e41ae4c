/**
 * A server-drawn sparkline: an inline SVG polyline (no script, no chart library, nothing for the CSP to
 * allow). The numbers it shows are repeated as text next to it and in its accessible label, so the line is
 * decoration for sighted readers and nothing is lost without it.
 */
const WIDTH = 120;
const HEIGHT = 28;

export function Sparkline(props: { values: readonly (number | null)[]; label: string; max?: number; kind: "throughput" | "failure" }) {
  const { values } = props;
  const max = props.max ?? Math.max(1, ...values.map((value) => value ?? 0));
  // 2 px inset on both ends so a dot at the first or last value is not clipped.
  const step = values.length > 1 ? (WIDTH - 4) / (values.length - 1) : 0;
  // Gaps (null) break the line into segments rather than drawing them as zero.
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (current.length) segments.push(current.join(" "));
      current = [];
      return;
    }
    const x = (2 + index * step).toFixed(1);
    const y = (HEIGHT - 2 - (value / max) * (HEIGHT - 4)).toFixed(1);
    current.push(`${x},${y}`);
  });
  if (current.length) segments.push(current.join(" "));
  return (
    <svg class={`spark ${props.kind}`} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      <line x1="0" y1={HEIGHT - 1} x2={WIDTH} y2={HEIGHT - 1} class="baseline" />
      {segments.map((points) =>
        points.includes(" ") ? <polyline points={points} /> : <circle cx={points.split(",")[0]} cy={points.split(",")[1]} r="1.5" />,
      )}
    </svg>
  );
}
