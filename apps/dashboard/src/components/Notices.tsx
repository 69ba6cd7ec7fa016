import { dismiss, notices } from '../lib/notices';
import { useStore } from '../lib/store';

export function Notices() {
  const list = useStore(notices);
  return (
    <div className="notices" role="status" aria-live="polite">
      {list.map((n) => (
        <div key={n.id} className={`notice notice--${n.tone}`}>
          <span>{n.text}</span>
          <button type="button" className="button button--ghost button--small" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
