import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { SubmitForm } from "../components/form.tsx";
import { Button, Field, InlineError } from "../components/ui.tsx";
import { request } from "../lib/api.ts";
import { useI18n } from "../lib/i18n.tsx";
import { session } from "../lib/session.ts";
import type { SessionAnswer } from "../lib/types.ts";
import { AuthFrame } from "./auth-frame.tsx";

export default function SignInPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const reason = session.reason();
  const signIn = useMutation({
    mutationFn: () => request<SessionAnswer>("POST", "/api/auth/login", { email, password }, { auth: false }),
    onSuccess: (answer) => session.start(answer.token, answer.expiresIn, answer.user.email),
  });
  useEffect(() => {
    document.title = `${t("signIn.title")} · Sambung`;
  }, [t]);
  return (
    <AuthFrame title={t("signIn.title")}>
      {reason === "expired" ? (
        <p className="notice notice-warn" role="status">
          {t("signIn.expired")}
        </p>
      ) : null}
      <SubmitForm onSubmit={() => signIn.mutate()}>
        <Field label={t("signIn.email")} type="email" name="email" autoComplete="username" value={email} onChange={setEmail} isRequired autoFocus />
        <Field label={t("signIn.password")} type="password" name="password" autoComplete="current-password" value={password} onChange={setPassword} isRequired />
        <InlineError error={signIn.error} />
        <Button type="submit" variant="primary" isDisabled={signIn.isPending}>
          {signIn.isPending ? t("signIn.signingIn") : t("signIn.submit")}
        </Button>
      </SubmitForm>
    </AuthFrame>
  );
}
