import { useMutation } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { SubmitForm } from "../components/form.tsx";
import { Button, Field, InlineError, SelectField } from "../components/ui.tsx";
import { request } from "../lib/api.ts";
import { useI18n } from "../lib/i18n.tsx";
import { navigate } from "../lib/router.tsx";
import { session } from "../lib/session.ts";
import type { SessionAnswer } from "../lib/types.ts";
import { AuthFrame } from "./auth-frame.tsx";

const COMMON_ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Bangkok", "Asia/Manila", "Asia/Ho_Chi_Minh", "UTC"];

/** First start: the one-time link `/setup#token=…` creates the owner. */
export default function SetupPage() {
  const { t } = useI18n();
  // The token is read once from the fragment (never sent to a server log) and then removed from the address bar.
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "");
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
    document.title = `${t("setup.title")} · Sambung`;
  }, [t]);
  const [tenantName, setTenantName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [timeZone, setTimeZone] = useState("Asia/Jakarta");
  const zones = useMemo(() => {
    const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    return [...new Set([...COMMON_ZONES, ...all])].map((zone) => ({ id: zone, label: zone.replace(/_/g, " ") }));
  }, []);
  const setup = useMutation({
    mutationFn: () => request<SessionAnswer>("POST", "/api/auth/setup", { token, tenantName, email, password, timeZone }, { auth: false }),
    onSuccess: (answer) => {
      session.start(answer.token, answer.expiresIn, answer.user.email);
      navigate("/integrations", { replace: true });
    },
  });
  if (!token) {
    return (
      <AuthFrame title={t("setup.title")}>
        <p className="notice notice-warn" role="alert">
          {t("setup.noToken")}
        </p>
        <Button onPress={() => navigate("/", { replace: true })}>{t("signIn.submit")}</Button>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title={t("setup.title")} intro={t("setup.intro")}>
      <SubmitForm onSubmit={() => setup.mutate()}>
        <Field label={t("setup.business")} value={tenantName} onChange={setTenantName} isRequired autoComplete="organization" autoFocus />
        <Field label={t("signIn.email")} type="email" value={email} onChange={setEmail} isRequired autoComplete="username" />
        <Field
          label={t("signIn.password")}
          type="password"
          value={password}
          onChange={setPassword}
          isRequired
          autoComplete="new-password"
          description={t("setup.passwordHint")}
        />
        <SelectField label={t("setup.timeZone")} options={zones} value={timeZone} onChange={setTimeZone} description={t("setup.timeZoneHint")} />
        <InlineError error={setup.error} />
        <Button type="submit" variant="primary" isDisabled={setup.isPending}>
          {setup.isPending ? t("common.working") : t("setup.submit")}
        </Button>
      </SubmitForm>
    </AuthFrame>
  );
}
