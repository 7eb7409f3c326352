import type { Dispatch, SetStateAction } from "react";
import { useT } from "../lib/i18n.tsx";
import type { Format } from "../lib/types.ts";
import { SecretField } from "./ui.tsx";

/**
 * A format's secret fields. New provider: each required unless the format says
 * optional. Existing one (`stored`, the masked hints): all optional, a blank one
 * keeps what is stored.
 */
export function SecretInputs({
  fields,
  values,
  setValues,
  stored,
}: {
  fields: Format["secrets"];
  values: Record<string, string>;
  setValues: Dispatch<SetStateAction<Record<string, string>>>;
  stored?: Record<string, string>;
}) {
  const t = useT();
  return fields.map((field) => (
    <SecretField
      key={field.name}
      name={stored ? undefined : field.name}
      label={field.label}
      value={values[field.name] ?? ""}
      onChange={(value) => setValues((current) => ({ ...current, [field.name]: value }))}
      isRequired={stored ? false : !field.optional}
      placeholder={stored ? (stored[field.name] ?? t("provider.notSet")) : undefined}
    />
  ));
}
