import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { LoadLevel } from './curve.js';

/** What one chart shows: the prediction as a line, measurements as points, SLO targets as bands. */
export interface LoadChart {
  title: string;
  subtitle: string;
  predicted: LoadLevel[];
  measured: LoadLevel[];
  /** Targets to shade; null where none was set. */
  slo: { ttftP95Ms: number | null; itlP95Ms: number | null };
}

const WIDTH = 1200;
const HEIGHT = 440;
const PANELS = [
  { key: 'ttftP95Ms', name: 'TTFT p95 (ms)', slo: 'ttftP95Ms' },
  { key: 'itlP95Ms', name: 'ITL p95 (ms)', slo: 'itlP95Ms' },
  { key: 'outputTokensPerSec', name: 'Throughput (output tokens/s)', slo: null },
] as const;
const PREDICTED_COLOR = '#2f6fd6';
const MEASURED_COLOR = '#d6452f';
const SLO_BAND_COLOR = 'rgba(46, 160, 67, 0.14)';

const round = (value: number) => Number(value.toPrecision(4));

/** The next 1, 2 or 5 × 10ⁿ at or above `value`, so an axis ends on a round tick. */
function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * magnitude >= value) ?? 10) * magnitude;
}

/** ECharts' option for the chart: three panels side by side, request rate across. Pure data. */
export function chartOption(chart: LoadChart): echarts.EChartsOption {
  const panelWidth = 100 / PANELS.length;
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'DejaVu Sans, Arial, sans-serif' },
    title: { text: chart.title, subtext: chart.subtitle, left: 'center', top: 6 },
    legend: { bottom: 6, itemGap: 28, data: ['predicted', 'measured'] },
    grid: PANELS.map((_, i) => ({
      left: `${i * panelWidth + 5}%`,
      width: `${panelWidth - 8}%`,
      top: 110,
      bottom: 80,
    })),
    xAxis: PANELS.map((_, i) => ({
      type: 'value',
      gridIndex: i,
      name: 'requests/s',
      nameLocation: 'middle',
      nameGap: 26,
      min: 0,
    })),
    yAxis: PANELS.map((panel, i) => {
      const target = panel.slo ? chart.slo[panel.slo] : null;
      return {
        type: 'value',
        gridIndex: i,
        name: panel.name,
        nameTextStyle: { align: 'left' },
        min: 0,
        // The target stays in view even when every value is far below it.
        ...(target !== null && { max: ({ max }: { max: number }) => niceCeil(Math.max(max, target * 1.15)) }),
      };
    }),
    series: PANELS.flatMap((panel, i) => {
      const target = panel.slo ? chart.slo[panel.slo] : null;
      return [
        {
          type: 'line',
          name: 'predicted',
          xAxisIndex: i,
          yAxisIndex: i,
          showSymbol: false,
          lineStyle: { width: 2.5, color: PREDICTED_COLOR },
          itemStyle: { color: PREDICTED_COLOR },
          data: chart.predicted.map((level) => [round(level.requestsPerSec), round(level[panel.key])]),
          // The band is drawn with the line so it shows even without measurements.
          ...(target !== null && {
            markArea: {
              silent: true,
              itemStyle: { color: SLO_BAND_COLOR },
              label: {
                show: true,
                position: 'insideTopLeft',
                color: '#1f6f33',
                formatter: `SLO ≤ ${round(target)} ms`,
              },
              data: [[{ yAxis: 0 }, { yAxis: target }]],
            },
          }),
        },
        {
          type: 'scatter',
          name: 'measured',
          xAxisIndex: i,
          yAxisIndex: i,
          symbolSize: 11,
          itemStyle: { color: MEASURED_COLOR, opacity: 1 },
          data: chart.measured.map((level) => [round(level.requestsPerSec), round(level[panel.key])]),
        },
      ];
    }),
  } as echarts.EChartsOption;
}

/** The chart as an SVG document, rendered by ECharts' server-side renderer (no DOM, no browser). */
export function chartSvg(chart: LoadChart): string {
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    instance.setOption(chartOption(chart));
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}

/** The chart as a PNG, rasterized by resvg with the system's fonts. */
export function chartPng(chart: LoadChart): Buffer {
  const png = new Resvg(chartSvg(chart), {
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
