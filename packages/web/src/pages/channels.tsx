import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { channelRooms as listChannelRooms, overview as channelOverview, parity as parityOf, pullNow } from "@sambung/core/channel/index";
import { useEffect, useState } from "react";
import { DataTable } from "../components/data-table.tsx";
import { SubmitForm } from "../components/form.tsx";
import { Badge, Button, Empty, ErrorState, Field, InlineError, Loading, PageHeader, SelectField, TextAreaField } from "../components/ui.tsx";
import { UrlTabs } from "../components/url-tabs.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import type { Answer } from "../lib/types.ts";
import { useLocations } from "./integrations.tsx";

type Overview = Answer<typeof channelOverview>;
type RoomSetup = Overview["rooms"];
type RoomType = RoomSetup["roomTypes"][number];
type ChannelRow = Overview["channels"][number];
type Reservation = Overview["reservations"][number];
type Pulled = Answer<typeof pullNow>;
type ChannelRooms = Answer<typeof listChannelRooms>;
type ParityAnswer = Answer<typeof parityOf>;

export default function ChannelsPage() {
  const { t } = useI18n();
  const { search } = useLocation();
  const locations = useLocations();
  const first = locations.data?.items[0]?.id ?? "";
  const locationId = search.get("location") ?? first;
  const overview = useQuery({
    queryKey: ["channels", locationId],
    queryFn: ({ signal }) => api.get<Overview>(`/api/admin/channels${qs({ locationId })}`, signal),
    enabled: Boolean(locationId),
    refetchInterval: 10_000,
  });
  if (locations.isPending) return <Loading />;
  if (locations.isError) return <ErrorState error={locations.error} onRetry={() => void locations.refetch()} />;
  return (
    <>
      <PageHeader
        title={t("channels.title")}
        description={t("channels.intro")}
        actions={
          locations.data.items.length > 1 ? (
            <SelectField label={t("channels.location")} options={locations.data.items.map((location) => ({ id: location.id, label: location.name }))} value={locationId} onChange={(value) => setSearchParam("location", value)} />
          ) : undefined
        }
      />
      {!locationId ? (
        <Empty title={t("channels.noLocation")}>{t("channels.noLocationHint")}</Empty>
      ) : overview.isPending ? (
        <Loading />
      ) : overview.isError ? (
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
      ) : (
        <UrlTabs
          param="view"
          label={t("channels.views")}
          tabs={[
            { id: "channels", label: t("channels.tab.channels"), panel: <ChannelTable locationId={locationId} rows={overview.data.channels} /> },
            { id: "rooms", label: t("channels.tab.rooms"), panel: <RoomsEditor setup={overview.data.rooms} /> },
            { id: "mapping", label: t("channels.tab.mapping"), panel: <MappingEditor locationId={locationId} rooms={overview.data.rooms} rows={overview.data.channels} /> },
            { id: "parity", label: t("channels.tab.parity"), panel: <Parity locationId={locationId} /> },
            { id: "reservations", label: t("channels.tab.reservations"), panel: <Reservations items={overview.data.reservations} /> },
          ]}
        />
      )}
    </>
  );
}

function ChannelTable({ locationId, rows }: { locationId: string; rows: ChannelRow[] }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const pull = useMutation({
    mutationFn: (providerId: string) => api.post<Pulled>(`/api/admin/channels/${providerId}/pull${qs({ locationId })}`),
    onSettled: () => void client.invalidateQueries({ queryKey: ["channels", locationId] }),
  });
  if (rows.length === 0) return <Empty title={t("channels.empty")}>{t("channels.emptyHint")}</Empty>;
  return (
    <>
      <InlineError error={pull.error} />
      {pull.data ? <p role="status">{t("channels.pulled", { pulled: pull.data.pulled, stored: pull.data.stored })}</p> : null}
      <DataTable
        variant="stack"
        caption={t("channels.title")}
        columns={[t("channels.channel"), t("channels.hotelCode"), t("channels.state"), t("channels.lastAck"), can.admin && { label: t("common.actions"), hidden: true }]}
      >
        {rows.map((row) => (
          <tr key={row.provider.id} className={row.status.failingSince ? "row-alert" : undefined}>
            <td data-label={t("channels.channel")}>
              {row.provider.name}
              <div className="muted small">{row.provider.apiFormat}</div>
            </td>
            <td data-label={t("channels.hotelCode")}>{row.connection ? <code>{row.connection.hotelCode}</code> : <Badge tone="warn">{t("channels.notMapped")}</Badge>}</td>
            <td data-label={t("channels.state")}>
              {!row.connection ? null : row.status.failingSince ? (
                <>
                  <Badge tone="danger">{t("channels.failing", { since: format.dateTime(row.status.failingSince) })}</Badge>
                  <div className="small">{row.status.lastError}</div>
                  {row.status.nextRetryAt ? <div className="muted small">{t("channels.nextRetry", { at: format.dateTime(row.status.nextRetryAt) })}</div> : null}
                </>
              ) : row.pendingChunks > 0 ? (
                <Badge tone="info">{t("channels.pending", { count: row.pendingChunks })}</Badge>
              ) : (
                <Badge tone="ok">{t("channels.inStep")}</Badge>
              )}
              {row.status.lastPullError ? <div className="small">{t("channels.pullFailed", { error: row.status.lastPullError })}</div> : null}
            </td>
            <td data-label={t("channels.lastAck")} className="nowrap">
              {row.status.lastAckAt ? format.dateTime(row.status.lastAckAt) : "—"}
              {row.status.lastMessages !== undefined ? <div className="muted small">{t("channels.lastPush", { messages: row.status.lastMessages, items: row.status.lastItems ?? 0 })}</div> : null}
            </td>
            {can.admin ? (
              <td>
                {row.connection ? (
                  <Button small isDisabled={pull.isPending} onPress={() => pull.mutate(row.provider.id)} aria-label={t("channels.pullLabel", { name: row.provider.name })}>
                    {t("channels.pull")}
                  </Button>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
    </>
  );
}

/** Room types as lines: `ID | Name | RATE1, RATE2`. */
function toLines(setup: RoomSetup): string {
  return setup.roomTypes.map((room) => `${room.id} | ${room.name} | ${room.ratePlans.map((plan) => plan.id).join(", ")}`).join("\n");
}

function fromLines(text: string, previous: RoomType[]): RoomType[] {
  return text
    .split("\n")
    .map((line) => line.split("|").map((part) => part.trim()))
    .filter(([id]) => Boolean(id))
    .map(([id = "", name, plans = ""]) => {
      const known = previous.find((room) => room.id === id);
      return {
        id,
        name: name || id,
        ratePlans: plans
          .split(",")
          .map((plan) => plan.trim())
          .filter(Boolean)
          .map((plan) => ({ id: plan, name: known?.ratePlans.find((existing) => existing.id === plan)?.name ?? plan })),
      };
    });
}

function RoomsEditor({ setup }: { setup: RoomSetup }) {
  const { t } = useI18n();
  const can = useCan();
  const client = useQueryClient();
  const [text, setText] = useState(toLines(setup));
  const [currency, setCurrency] = useState(setup.currency ?? "");
  useEffect(() => {
    setText(toLines(setup));
    setCurrency(setup.currency ?? "");
  }, [setup]);
  const save = useMutation({
    mutationFn: () => api.put<RoomSetup>("/api/admin/channels/rooms", { locationId: setup.locationId, currency: currency || undefined, roomTypes: fromLines(text, setup.roomTypes) }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["channels", setup.locationId] }),
  });
  return (
    <SubmitForm onSubmit={() => save.mutate()}>
      <p className="muted">{t("channels.roomsIntro")}</p>
      <TextAreaField label={t("channels.roomLines")} rows={Math.max(4, setup.roomTypes.length + 2)} value={text} onChange={setText} isReadOnly={!can.admin} />
      <Field label={t("channels.currency")} value={currency} onChange={setCurrency} description={t("channels.currencyHint")} isDisabled={!can.admin} />
      <InlineError error={save.error} />
      {can.admin ? (
        <div>
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            {save.isPending ? t("common.saving") : t("common.save")}
          </Button>
        </div>
      ) : null}
    </SubmitForm>
  );
}

function MappingEditor({ locationId, rooms, rows }: { locationId: string; rooms: RoomSetup; rows: ChannelRow[] }) {
  const { t } = useI18n();
  const [providerId, setProviderId] = useState(rows[0]?.provider.id ?? "");
  const row = rows.find((candidate) => candidate.provider.id === providerId);
  if (rows.length === 0) return <Empty title={t("channels.empty")}>{t("channels.emptyHint")}</Empty>;
  if (rooms.roomTypes.length === 0) return <Empty title={t("channels.noRooms")}>{t("channels.noRoomsHint")}</Empty>;
  return (
    <div className="form">
      <SelectField label={t("channels.channel")} options={rows.map((candidate) => ({ id: candidate.provider.id, label: candidate.provider.name }))} value={providerId} onChange={setProviderId} />
      {row ? <MappingForm key={row.provider.id} locationId={locationId} rooms={rooms} row={row} /> : null}
    </div>
  );
}

function MappingForm({ locationId, rooms, row }: { locationId: string; rooms: RoomSetup; row: ChannelRow }) {
  const { t } = useI18n();
  const can = useCan();
  const client = useQueryClient();
  const codeOf = (roomType: string) => row.connection?.rooms.find((room) => room.roomType === roomType);
  const [hotelCode, setHotelCode] = useState(row.connection?.hotelCode ?? "");
  const [codes, setCodes] = useState<Record<string, string>>(() => {
    const initial: Record<string, string> = {};
    for (const room of rooms.roomTypes) {
      initial[room.id] = codeOf(room.id)?.code ?? "";
      for (const plan of room.ratePlans) initial[`${room.id}/${plan.id}`] = codeOf(room.id)?.ratePlans.find((entry) => entry.ratePlan === plan.id)?.code ?? "";
    }
    return initial;
  });
  const channelRooms = useQuery({
    queryKey: ["channel-rooms", row.provider.id, locationId],
    queryFn: ({ signal }) => api.get<ChannelRooms>(`/api/admin/channels/${row.provider.id}/rooms${qs({ locationId })}`, signal),
    enabled: false,
  });
  const save = useMutation({
    mutationFn: () =>
      api.put(`/api/admin/channels/${row.provider.id}/mapping`, {
        locationId,
        hotelCode,
        rooms: rooms.roomTypes
          .filter((room) => codes[room.id])
          .map((room) => ({ roomType: room.id, code: codes[room.id], ratePlans: room.ratePlans.filter((plan) => codes[`${room.id}/${plan.id}`]).map((plan) => ({ ratePlan: plan.id, code: codes[`${room.id}/${plan.id}`] })) })),
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["channels", locationId] }),
  });
  const set = (key: string) => (value: string) => setCodes((current) => ({ ...current, [key]: value }));
  return (
    <SubmitForm onSubmit={() => save.mutate()}>
      <Field label={t("channels.hotelCode")} value={hotelCode} onChange={setHotelCode} isRequired isDisabled={!can.admin} description={t("channels.hotelCodeHint")} />
      {can.admin ? (
        <div>
          <Button onPress={() => void channelRooms.refetch()} isDisabled={channelRooms.isFetching || !row.connection}>
            {t("channels.loadRooms")}
          </Button>
        </div>
      ) : null}
      <InlineError error={channelRooms.error} />
      {channelRooms.data ? (
        <ul className="small">
          {channelRooms.data.rooms.map((room) => (
            <li key={room.code}>
              <code>{room.code}</code> {room.name} — {room.ratePlans.map((plan) => `${plan.code}${plan.name ? ` (${plan.name})` : ""}`).join(", ")}
            </li>
          ))}
        </ul>
      ) : null}
      <DataTable columns={[t("channels.ours"), t("channels.theirs")]}>
        {rooms.roomTypes.flatMap((room) => [
          <tr key={room.id}>
            <th scope="row">{room.name}</th>
            <td>
              <Field label={t("channels.roomCode", { name: room.name })} value={codes[room.id] ?? ""} onChange={set(room.id)} isDisabled={!can.admin} />
            </td>
          </tr>,
          ...room.ratePlans.map((plan) => (
            <tr key={`${room.id}/${plan.id}`}>
              <th scope="row" className="muted">
                ↳ {plan.name}
              </th>
              <td>
                <Field label={t("channels.rateCode", { name: `${room.name} · ${plan.name}` })} value={codes[`${room.id}/${plan.id}`] ?? ""} onChange={set(`${room.id}/${plan.id}`)} isDisabled={!can.admin} />
              </td>
            </tr>
          )),
        ])}
      </DataTable>
      <InlineError error={save.error} />
      {save.isSuccess ? <p role="status">{t("channels.mappingSaved")}</p> : null}
      {can.admin ? (
        <div>
          <Button type="submit" variant="primary" isDisabled={save.isPending || !hotelCode}>
            {save.isPending ? t("common.saving") : t("common.save")}
          </Button>
        </div>
      ) : null}
    </SubmitForm>
  );
}

function Parity({ locationId }: { locationId: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const today = new Date().toISOString().slice(0, 10);
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
  const parity = useQuery({
    queryKey: ["parity", locationId, from, to],
    queryFn: ({ signal }) => api.get<ParityAnswer>(`/api/admin/channels/parity${qs({ locationId, from, to })}`, signal),
  });
  const money = (rate?: number, currency?: string) => (rate === undefined ? "—" : currency ? format.money(rate, currency) : String(rate));
  return (
    <div className="form">
      <div className="form-actions">
        <Field label={t("channels.from")} value={from} onChange={setFrom} placeholder="YYYY-MM-DD" />
        <Field label={t("channels.to")} value={to} onChange={setTo} placeholder="YYYY-MM-DD" />
      </div>
      {parity.isPending ? (
        <Loading />
      ) : parity.isError ? (
        <ErrorState error={parity.error} onRetry={() => void parity.refetch()} />
      ) : (
        <>
          <p className="muted small">{t("channels.parityCompared", { count: parity.data.compared, shopper: parity.data.rateShopper })}</p>
          {parity.data.disagreements.length === 0 ? (
            <Empty title={`✓ ${t("channels.parityOk")}`} />
          ) : (
            <DataTable variant="stack" caption={t("channels.tab.parity")} columns={[t("channels.date"), t("channels.ours"), t("channels.pmsRate"), t("channels.channelRates")]}>
              {parity.data.disagreements.map((row) => (
                <tr key={`${row.date}/${row.roomType}/${row.ratePlan}`} className="row-alert">
                  <td data-label={t("channels.date")} className="nowrap">{row.date}</td>
                  <td data-label={t("channels.ours")}>
                    {row.roomType} · {row.ratePlan}
                  </td>
                  <td data-label={t("channels.pmsRate")} className="num">{money(row.pms?.rate, row.pms?.currency)}</td>
                  <td data-label={t("channels.channelRates")}>
                    {row.quotes.map((quote) => (
                      <div key={`${quote.providerId}/${quote.source}`} className="small">
                        {quote.name}: {money(quote.rate, quote.currency)}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </>
      )}
    </div>
  );
}

function Reservations({ items }: { items: Reservation[] }) {
  const { t } = useI18n();
  const format = useFormat();
  if (items.length === 0) return <Empty title={t("channels.noReservations")}>{t("channels.noReservationsHint")}</Empty>;
  return (
    <DataTable
      variant="stack"
      caption={t("channels.tab.reservations")}
      columns={[t("channels.booking"), t("channels.guest"), t("channels.stay"), { label: t("channels.total"), className: "num" }, t("channels.state")]}
    >
      {items.map((item) => (
        <tr key={item.id} className={item.overbooked ? "row-alert" : undefined}>
          <td data-label={t("channels.booking")}>
            <code>{item.bookingId}</code>
            <div className="muted small">{item.providerSlug}</div>
          </td>
          <td data-label={t("channels.guest")}>{item.booking.guest.name ?? "—"}</td>
          <td data-label={t("channels.stay")} className="nowrap">
            {item.booking.arrival} → {item.booking.departure}
            <div className="muted small">{item.rooms.map((room) => `${room.quantity} × ${room.roomType ?? room.channelRoomCode}`).join(", ")}</div>
          </td>
          <td data-label={t("channels.total")} className="num nowrap">
            {item.booking.total ? format.money(item.booking.total.amount, item.booking.total.currency) : "—"}
            <div className="muted small">{t(`channels.payment.${item.booking.paymentModel as "hotel_collect"}`)}</div>
          </td>
          <td data-label={t("channels.state")}>
            <Badge tone={item.status === "cancelled" ? "neutral" : "ok"}>{t(`channels.status.${item.status}`)}</Badge>{" "}
            {item.overbooked ? <Badge tone="danger">{t("channels.overbooked")}</Badge> : null}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
