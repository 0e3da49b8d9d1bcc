() => {
  // Citation links are plain anchors (the chatbot's sanitizer strips event handlers); one listener on the document
  // shows the answer's sources and highlights the card the link points at, without a round trip to the server.
  // Gradio runs this function once the page has loaded (launch(js=...)).
  if (window.__gaCitations) return;
  window.__gaCitations = true;
  const show = (id) => {
    const target = id && document.getElementById(id);
    if (!target) return;
    const turn = target.closest('.ga-turn') || target;
    document.querySelectorAll('.ga-turn.ga-current').forEach((t) => t.classList.remove('ga-current'));
    turn.classList.add('ga-current');
    document.querySelectorAll('.ga-active').forEach((el) => el.classList.remove('ga-active'));
    if (target === turn) {
      turn.querySelectorAll('details.ga-all').forEach((d) => { d.open = true; });
    } else {
      target.classList.add('ga-active');
      for (let d = target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) {
        d.open = true;
      }
    }
    target.scrollIntoView({block: 'nearest'});
  };
  document.addEventListener('click', (ev) => {
    const link = ev.target instanceof Element ? ev.target.closest('a.ga-cite, a.ga-show') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    show((link.getAttribute('href') || '').slice(1));
  }, true);
}
