import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { messages, type Lang, type MessageKey } from "./messages.ts";

export type { Lang, MessageKey };
export const LANGS: { id: Lang; label: string }[] = [
  { id: "en", label: "English" },
  { id: "id", label: "Bahasa Indonesia" },
];

const KEY = "sambung.lang";

function initialLang(): Lang {
  const stored = localStorage.getItem(KEY);
  if (stored === "en" || stored === "id") return stored;
  return navigator.language.toLowerCase().startsWith("id") ? "id" : "en";
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  /** BCP 47 tag for Intl formatters. */
  locale: string;
  setLang: (lang: Lang) => void;
  t: Translate;
}

const I18nContext = createContext<I18n | undefined>(undefined);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const value = useMemo<I18n>(() => {
    const dictionary = messages[lang];
    document.documentElement.lang = lang;
    return {
      lang,
      locale: lang === "id" ? "id-ID" : "en-GB",
      setLang: (next) => {
        localStorage.setItem(KEY, next);
        setLangState(next);
      },
      t: (key, vars) => {
        const text = dictionary[key] ?? messages.en[key] ?? key;
        return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`)) : text;
      },
    };
  }, [lang]);
  return <I18nContext value={value}>{children}</I18nContext>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}

export function useT(): Translate {
  return useI18n().t;
}
