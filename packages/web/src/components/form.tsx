import type { ReactNode } from "react";
import { Form } from "react-aria-components";
import { useT } from "../lib/i18n.tsx";
import { Button } from "./ui.tsx";

/** A form that stays on the page: submitting (Enter, or its submit button) runs `onSubmit`. */
export function SubmitForm({ onSubmit, className = "form", children }: { onSubmit: () => void; className?: string; children: ReactNode }) {
  return (
    <Form
      className={className}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </Form>
  );
}

/** A form's Cancel and submit buttons; the submit one says it is busy while `pending`. */
export function SubmitActions({
  onCancel,
  submitLabel,
  pending,
  pendingLabel,
  isDisabled,
  className = "dialog-actions",
}: {
  onCancel: () => void;
  submitLabel: string;
  pending: boolean;
  pendingLabel?: string;
  isDisabled?: boolean;
  className?: "dialog-actions" | "form-actions";
}) {
  const t = useT();
  return (
    <div className={className}>
      <Button onPress={onCancel}>{t("common.cancel")}</Button>
      <Button type="submit" variant="primary" isDisabled={pending || isDisabled}>
        {pending ? (pendingLabel ?? t("common.saving")) : submitLabel}
      </Button>
    </div>
  );
}
