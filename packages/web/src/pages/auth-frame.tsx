import type { ReactNode } from "react";
import { LANGS, useI18n, type Lang } from "../lib/i18n.tsx";

/** The centred card the signed-out pages share, with the language switch. */
export function AuthFrame({ title, children, intro }: { title: string; children: ReactNode; intro?: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  return (
    <main className="center-page">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <span>Sambung</span>
        </div>
        <h1>{title}</h1>
        {intro ? <p className="muted">{intro}</p> : null}
        {children}
        <div className="auth-lang" role="group" aria-label={t("shell.language")}>
          {LANGS.map((option) => (
            <button
              key={option.id}
              type="button"
              className={`link-button${option.id === lang ? " current" : ""}`}
              aria-pressed={option.id === lang}
              onClick={() => setLang(option.id as Lang)}
            >
              {option.label}
            </button>
          ))}
        </div>
      </div>
    </main>
  );
}
