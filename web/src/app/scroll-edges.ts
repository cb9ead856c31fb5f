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
    const { moreLeft, moreRight } = scrollEdges(this.observed);
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
      this.observer = box && observeResizes(box, this.measure);
    }
    // the observer measures after layout (at once for a box it starts on, and whenever the box or its
    // table resizes): measuring here too forced a layout per table at every update, a quarter of the
    // dashboard's time as runs stream in
    if (!this.observer) this.measure();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = null;
  }
}

/** Whether `box` has more to show past its left and right edges. */
function scrollEdges(box: HTMLElement | null): { moreLeft: boolean; moreRight: boolean } {
  // a pixel of slack: zoomed pages report fractional scroll positions
  return {
    moreLeft: box !== null && box.scrollLeft > 1,
    moreRight: box !== null && box.scrollLeft + box.clientWidth < box.scrollWidth - 1,
  };
}

/** Calls `changed` when the box or its content resizes: the box narrows with the page, its content widens with what it shows (null where the browser has no ResizeObserver). */
function observeResizes(box: HTMLElement, changed: () => void): ResizeObserver | null {
  if (typeof ResizeObserver === 'undefined') return null;
  const observer = new ResizeObserver(changed);
  observer.observe(box);
  if (box.firstElementChild) observer.observe(box.firstElementChild);
  return observer;
}
