import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

/**
 * An action that asks first (a ConfirmDialog): `ask(target)` opens the dialog with
 * a fresh state, confirming runs `run(target)`, and success closes it.
 * `<ConfirmDialog {...action.dialog} …>` wires the dialog.
 */
export function useConfirmed<T = void, R = unknown>(run: (target: T) => Promise<R>, then: { onSuccess?: (answer: R) => void; onSettled?: () => void } = {}) {
  const [asked, setAsked] = useState<{ target: T } | undefined>();
  const mutation = useMutation({
    mutationFn: run,
    onSuccess: (answer) => {
      setAsked(undefined);
      then.onSuccess?.(answer);
    },
    onSettled: then.onSettled,
  });
  return {
    target: asked?.target,
    mutation,
    ask: (target: T) => {
      mutation.reset();
      setAsked({ target });
    },
    dialog: {
      isOpen: asked !== undefined,
      onOpenChange: (open: boolean) => {
        if (!open) setAsked(undefined);
      },
      onConfirm: () => {
        if (asked) mutation.mutate(asked.target);
      },
      pending: mutation.isPending,
      error: mutation.error,
    },
  };
}
