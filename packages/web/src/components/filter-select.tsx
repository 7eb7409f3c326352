import { useT } from "../lib/i18n.tsx";
import { SelectField, type Option } from "./ui.tsx";

/** A list filter: "Any" (the empty value) first, then the options. */
export function FilterSelect({ label, options, value, onChange }: { label: string; options: Option[]; value: string; onChange: (value: string) => void }) {
  const t = useT();
  return <SelectField label={label} options={[{ id: "", label: t("common.any") }, ...options]} value={value} onChange={onChange} />;
}
