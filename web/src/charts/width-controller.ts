// Re-renders a component when its width changes, so charts fit the space they are given.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class WidthController implements ReactiveController {
  /** the host's content width in CSS pixels (a laptop-sized default before the first layout) */
  value = 960;
  private observer: ResizeObserver | null = null;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  hostConnected(): void {
    if (typeof ResizeObserver === 'undefined') return;
    this.observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      // small changes (a scrollbar appearing) do not justify redrawing every chart
      if (width > 0 && Math.abs(width - this.value) > 24) {
        this.value = width;
        this.host.requestUpdate();
      }
    });
    this.observer.observe(this.host);
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
  }
}
