// Plotly figures from the API's `chart` JSON, drawn with the plotly.js the app serves (/vendor, no CDN).
let loading = null;

export function ensurePlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/vendor/plotly.min.js';
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { loading = null; reject(new Error('plotly')); };
      document.head.append(script);
    });
  }
  return loading;
}

export async function drawFigure(container, figure) {
  const Plotly = await ensurePlotly();
  const fig = typeof figure === 'string' ? JSON.parse(figure) : figure;
  const layout = { ...(fig.layout || {}), autosize: true, margin: { l: 50, r: 20, t: 50, b: 80, ...(fig.layout?.margin || {}) },
    font: { family: '"Noto Sans CJK SC", "Noto Sans SC", sans-serif', ...(fig.layout?.font || {}) } };
  delete layout.width;
  if (container.clientWidth < 600 && layout.title) {
    const title = typeof layout.title === 'string' ? { text: layout.title } : layout.title;
    layout.title = { ...title, font: { ...(title.font || {}), size: 12 } };
  }
  if (!container.querySelector('.plot-container')) { Plotly.purge(container); container.replaceChildren(); }
  await Plotly.react(container, fig.data || [], layout, { responsive: true, displaylogo: false });
  container.dataset.drawn = 'true';
}
