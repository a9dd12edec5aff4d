// One metric as a uPlot line chart, or "no data" when the answer has no points. The points drawn are also in the
// figure's data attributes (timestamps in epoch seconds, values), for tests and for reading them off the page.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const WIDTH_PX = 380;
const HEIGHT_PX = 160;

export default function Chart({ series }) {
  const box = useRef(null);
  const empty = series.timestamps.length === 0;
  const [drawn, setDrawn] = useState(0);
  useEffect(() => {
    if (empty || !box.current) {
      setDrawn(0);
      return undefined;
    }
    const plot = new uPlot({
      width: WIDTH_PX, height: HEIGHT_PX, legend: { show: false },
      series: [{}, { label: series.name, stroke: "#2563eb", width: 1.5, points: { size: 4 } }],
      axes: [{}, { size: 60 }],
    }, [series.timestamps, series.values], box.current);
    // What uPlot holds, not what it was given: its own copy of the series' points.
    setDrawn(plot.data[1].length);
    return () => plot.destroy();
  }, [series, empty]);
  return (
    <figure className="chart" data-testid={`chart-${series.name}`} data-points={series.timestamps.length}
      data-timestamps={JSON.stringify(series.timestamps)} data-values={JSON.stringify(series.values)}
      data-drawn={drawn}>
      <figcaption>{series.name} <span className="dim">({series.stat}, {series.unit}, per minute)</span></figcaption>
      {empty ? <p className="nodata">no data</p> : <div ref={box} />}
    </figure>
  );
}
