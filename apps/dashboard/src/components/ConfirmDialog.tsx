import type { ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorNotice } from './States';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  /** 'danger' for what cannot be undone: the dialog and its confirm button are red */
  tone?: 'default' | 'danger';
  /** the button that closes without acting, first (so it has the focus) */
  cancelLabel?: string;
  confirmLabel: string;
  confirmDisabled: boolean;
  onConfirm: () => void;
  /** why the last attempt failed, under the content */
  error: string | null;
  children: ReactNode;
}

/** A dialog that asks before an action: its content, a way out, the action's button and what went wrong. */
export function ConfirmDialog({
  open,
  title,
  onClose,
  tone = 'default',
  cancelLabel = 'Cancel',
  confirmLabel,
  confirmDisabled,
  onConfirm,
  error,
  children,
}: ConfirmDialogProps) {
  return (
    <Dialog
      open={open}
      title={title}
      tone={tone}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="button" onClick={onClose}>
            {cancelLabel}
          </button>
          <button
            type="button"
            className={`button ${tone === 'danger' ? 'button--danger' : 'button--primary'}`}
            disabled={confirmDisabled}
            onClick={onConfirm}
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      {children}
      {error ? <ErrorNotice error={error} /> : null}
    </Dialog>
  );
}
