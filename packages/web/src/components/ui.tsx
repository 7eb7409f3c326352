import { useEffect, useRef, useState, type ReactNode } from "react";
import {
  Button as AriaButton,
  Dialog,
  FieldError,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Modal,
  ModalOverlay,
  Popover,
  ProgressBar,
  Select,
  SelectValue,
  Switch,
  Text,
  TextArea,
  TextField,
  type ButtonProps,
  type Key,
} from "react-aria-components";
import { ApiError } from "../lib/api.ts";
import { useT } from "../lib/i18n.tsx";
import { navigationCount } from "../lib/router.tsx";

type Variant = "primary" | "secondary" | "danger" | "ghost";

export function Button({ variant = "secondary", small, className, ...props }: ButtonProps & { variant?: Variant; small?: boolean }) {
  return <AriaButton {...props} className={`btn btn-${variant}${small ? " btn-small" : ""}${className ? ` ${String(className)}` : ""}`} />;
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Sambung`;
    // After a client-side navigation, move focus to the new page's heading (screen readers announce it).
    if (navigationCount() > 0) heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Loading({ label }: { label?: string }) {
  const t = useT();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t("common.loading")}</span>
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="muted">{children}</div> : null}
      {action ? <div className="state-action">{action}</div> : null}
    </div>
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const t = useT();
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title ?? t("common.error")}</p>
      <p>{errorMessage(error)}</p>
      {onRetry ? (
        <Button onPress={onRetry} small>
          {t("common.retry")}
        </Button>
      ) : null}
    </div>
  );
}

/** An inline error under a form or in a dialog. */
export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="inline-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Badge({ tone = "neutral", children }: { tone?: "neutral" | "ok" | "warn" | "danger" | "info"; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

interface FieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  description?: string;
  type?: "text" | "email" | "password" | "url" | "number" | "search";
  isRequired?: boolean;
  autoComplete?: string;
  placeholder?: string;
  name?: string;
  isDisabled?: boolean;
  errorMessage?: string;
  autoFocus?: boolean;
  inputMode?: "numeric" | "text" | "url" | "email";
}

function Description({ text }: { text?: string }) {
  return text ? (
    <Text slot="description" className="field-description">
      {text}
    </Text>
  ) : null;
}

export function Field({ label, description, errorMessage: fieldError, type = "text", inputMode, placeholder, ...props }: FieldProps) {
  return (
    <TextField {...props} type={type} className="field" isInvalid={fieldError ? true : undefined}>
      <Label>{label}</Label>
      <Input placeholder={placeholder} inputMode={inputMode} />
      <Description text={description} />
      <FieldError className="field-error">{fieldError}</FieldError>
    </TextField>
  );
}

/** Several lines of text (a template's body, JSON, one room type a line). */
export function TextAreaField({
  label,
  value,
  onChange,
  description,
  isRequired,
  isReadOnly,
  rows = 4,
}: Pick<FieldProps, "label" | "value" | "onChange" | "description" | "isRequired"> & { isReadOnly?: boolean; rows?: number }) {
  return (
    <TextField className="field" value={value} onChange={onChange} isRequired={isRequired} isReadOnly={isReadOnly}>
      <Label>{label}</Label>
      <TextArea rows={rows} className="textarea" spellCheck={false} />
      <Description text={description} />
    </TextField>
  );
}

/** A write-only secret: masked while typing, with a show / hide toggle; the value lives only in this form. */
export function SecretField({ label, value, onChange, description, isRequired, name, placeholder }: FieldProps) {
  const t = useT();
  const [visible, setVisible] = useState(false);
  return (
    <TextField value={value} onChange={onChange} isRequired={isRequired} name={name} type={visible ? "text" : "password"} className="field">
      <Label>
        {label}
        {isRequired ? null : <span className="muted"> ({t("common.optional")})</span>}
      </Label>
      <div className="secret-input">
        <Input autoComplete="off" spellCheck={false} placeholder={placeholder} data-secret="true" />
        <AriaButton
          className="btn btn-ghost btn-small"
          aria-label={visible ? t("secret.hide", { label }) : t("secret.show", { label })}
          aria-pressed={visible}
          onPress={() => setVisible((shown) => !shown)}
        >
          {visible ? t("secret.hideShort") : t("secret.showShort")}
        </AriaButton>
      </div>
      <Description text={description} />
    </TextField>
  );
}

export function Toggle({ label, isSelected, onChange, isDisabled }: { label: string; isSelected: boolean; onChange: (value: boolean) => void; isDisabled?: boolean }) {
  return (
    <Switch className="switch" isSelected={isSelected} onChange={onChange} isDisabled={isDisabled}>
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span>{label}</span>
    </Switch>
  );
}

export interface Option {
  id: string;
  label: string;
}

export function SelectField({
  label,
  options,
  value,
  onChange,
  description,
  isDisabled,
}: {
  label: string;
  options: Option[];
  value: string;
  onChange: (value: string) => void;
  description?: string;
  isDisabled?: boolean;
}) {
  return (
    <Select className="field select" selectedKey={value} onSelectionChange={(key: Key | null) => key !== null && onChange(String(key))} isDisabled={isDisabled}>
      <Label>{label}</Label>
      <AriaButton className="select-button">
        <SelectValue />
        <span aria-hidden="true" className="select-chevron">
          ▾
        </span>
      </AriaButton>
      <Description text={description} />
      <Popover className="popover">
        <ListBox className="listbox">
          {options.map((option) => (
            <ListBoxItem key={option.id} id={option.id} className="listbox-item" textValue={option.label}>
              {option.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}

/** A modal dialog, controlled by its parent. */
export function ModalDialog({
  title,
  isOpen,
  onOpenChange,
  children,
  role = "dialog",
  wide,
  isDismissable = true,
}: {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
  role?: "dialog" | "alertdialog";
  wide?: boolean;
  isDismissable?: boolean;
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable={isDismissable}>
      <Modal className={`modal${wide ? " modal-wide" : ""}`}>
        <Dialog role={role} className="dialog">
          <Heading slot="title" className="dialog-title">
            {title}
          </Heading>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

/** Asks before a destructive action; shows the API's answer if it refuses. */
export function ConfirmDialog({
  title,
  isOpen,
  onOpenChange,
  children,
  confirmLabel,
  onConfirm,
  pending,
  error,
  tone = "danger",
}: {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  error?: unknown;
  tone?: "danger" | "primary";
}) {
  const t = useT();
  return (
    <ModalDialog title={title} isOpen={isOpen} onOpenChange={onOpenChange} role="alertdialog">
      <div className="dialog-body">{children}</div>
      <InlineError error={error} />
      <div className="dialog-actions">
        <Button onPress={() => onOpenChange(false)}>{t("common.cancel")}</Button>
        <Button variant={tone} onPress={onConfirm} isDisabled={pending} autoFocus>
          {pending ? t("common.working") : confirmLabel}
        </Button>
      </div>
    </ModalDialog>
  );
}

export function CopyButton({ value, label }: { value: string; label?: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <>
      <Button
        small
        aria-label={label ?? t("common.copy")}
        onPress={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
          } catch {
            window.prompt(t("common.copyPrompt"), value);
          }
        }}
      >
        {copied ? t("common.copied") : t("common.copy")}
      </Button>
      <span className="visually-hidden" role="status">
        {copied ? t("common.copied") : ""}
      </span>
    </>
  );
}

/** A value that is shown exactly once (a new API key, a signing secret). */
export function OnceValue({ value, note }: { value: string; note: string }) {
  return (
    <div className="once">
      <p className="once-note" role="note">
        {note}
      </p>
      <div className="once-value">
        <code data-testid="once-value">{value}</code>
        <CopyButton value={value} />
      </div>
    </div>
  );
}

/** In a dialog: a value shown once, and the way on once it is stored. */
export function OnceValueStep({ value, note, onDone }: { value: string; note: string; onDone: () => void }) {
  const t = useT();
  return (
    <>
      <OnceValue value={value} note={note} />
      <div className="dialog-actions">
        <Button variant="primary" onPress={onDone}>
          {t("keys.stored")}
        </Button>
      </div>
    </>
  );
}

export function Progress({ label, value, max }: { label: string; value: number; max: number }) {
  return (
    <ProgressBar className="progress" value={value} maxValue={Math.max(max, 1)} aria-label={label}>
      {({ percentage, valueText }) => (
        <>
          <div className="progress-label">
            <span>{label}</span>
            <span>{valueText}</span>
          </div>
          <div className="progress-track">
            <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
          </div>
        </>
      )}
    </ProgressBar>
  );
}

/** "Load more" for cursor-paged lists. */
export function LoadMore({ hasMore, loading, onPress }: { hasMore: boolean; loading: boolean; onPress: () => void }) {
  const t = useT();
  if (!hasMore) return null;
  return (
    <div className="load-more">
      <Button onPress={onPress} isDisabled={loading}>
        {loading ? t("common.loading") : t("common.loadMore")}
      </Button>
    </div>
  );
}
