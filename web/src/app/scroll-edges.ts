// Whether a box that scrolls sideways has more to show past its left or right edge: the cues that say
// so (a fading edge, a shadow beside a sticky column) are drawn from it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class ScrollEdgesController implements ReactiveController {
  moreLeft = false;
  moreRight = false;
  private observer: ResizeObserver | null = null;
  private observed: HTMLElement | null = null;

  /** `box`: the scrolling element in the host's current render (null while there is none) */
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly box: () => HTMLElement | null,
  ) {
    host.addController(this);
  }

  /** Call on the box's scroll events. */
  readonly measure = (): void => {
    const box = this.observed;
    // a pixel of slack: zoomed pages report fractional scroll positions
    const moreLeft = box !== null && box.scrollLeft > 1;
    const moreRight = box !== null && box.scrollLeft + box.clientWidth < box.scrollWidth - 1;
    if (moreLeft === this.moreLeft && moreRight === this.moreRight) return;
    this.moreLeft = moreLeft;
    this.moreRight = moreRight;
    this.host.requestUpdate();
  };

  hostUpdated(): void {
    const box = this.box();
    if (box !== this.observed) {
      this.observer?.disconnect();
      this.observed = box;
      if (box && typeof ResizeObserver !== 'undefined') {
        // the box narrows with the page, and its content widens with the groups shown
        this.observer ??= new ResizeObserver(this.measure);
        this.observer.observe(box);
        if (box.firstElementChild) this.observer.observe(box.firstElementChild);
      }
    }
    this.measure();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = null;
  }
}
