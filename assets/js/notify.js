// Being told when it matters, for someone who walked away: opt-in browser
// notifications when a run ends (with its status) and when an output line
// matches the project's `[notify] patterns` (the server sends `alert`
// notices). A click opens the run at that line.

const KEY = 'devloop.notify';

export class Notifier {
  /**
   * @param {HTMLButtonElement} button the bell in the top bar
   * @param {(runId: string, line?: number) => void} openRun
   */
  constructor(button, openRun) {
    this.button = button;
    this.openRun = openRun;
    /** @type {Map<string, string>} the last status seen of each run */
    this.seen = new Map();
    button.addEventListener('click', () => this.toggle());
    this.render();
  }

  get supported() { return typeof Notification !== 'undefined'; }

  get on() {
    // The opt-in first: asking for the permission is a round trip to the browser (~2 ms of a cold start).
    return localStorage.getItem(KEY) === '1' && this.supported && Notification.permission === 'granted';
  }

  async toggle() {
    if (!this.supported) return;
    if (this.on) {
      localStorage.setItem(KEY, '0');
    } else {
      const p = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
      localStorage.setItem(KEY, p === 'granted' ? '1' : '0');
    }
    this.render();
  }

  render() {
    const on = this.on;
    // Words, not an emoji: not every machine has a font for a bell.
    this.button.textContent = on ? 'Notify: on' : 'Notify';
    this.button.setAttribute('aria-pressed', String(on));
    this.button.title = !this.supported ? 'This browser has no notifications'
      : on ? 'Notifications on: when a run ends, and for lines matching [notify] patterns. Click to turn off.'
      : 'Notify me when a run ends or a line matches [notify] patterns';
  }

  /**
   * A run's status as the page learns it; tells once when it ends.
   * @param {import('./api.js').Run} run @param {boolean} final
   */
  onRun(run, final) {
    const before = this.seen.get(run.run_id);
    this.seen.set(run.run_id, run.status);
    if (!final || before === undefined || before === run.status || !this.on) return;
    const exit = run.exit_code != null ? ` (exit ${run.exit_code})` : run.signal ? ` (signal ${run.signal})` : '';
    this.show(`${run.config_name} ${run.status}${exit}`, `Run ${run.run_id}`, run.run_id);
  }

  /** @param {{run_id: string, config_name: string, lineno: number, pattern: string, text: string}} a */
  onAlert(a) {
    if (!this.on) return;
    this.show(`${a.config_name}: ${a.pattern}`, `line ${a.lineno}: ${a.text}`, a.run_id, a.lineno);
  }

  /** @param {string} title @param {string} body @param {string} runId @param {number} [line] */
  show(title, body, runId, line) {
    const n = new Notification(title, { body, tag: `${runId}:${line ?? 'end'}` });
    n.onclick = () => { window.focus(); this.openRun(runId, line); n.close(); };
  }
}
