/** Simulated payment gateways that follow each vendor's documented API (see each file's header). */
export { startDokuFake, type DokuFake } from "./doku.ts";
export { startIpaymuFake, type IpaymuFake } from "./ipaymu.ts";
export { startMidtransFake, type MidtransFake } from "./midtrans.ts";
export { startOmiseFake, type OmiseFake } from "./omise.ts";
export { startStripeFake, type StripeFake } from "./stripe.ts";
export { startXenditFake, type XenditFake } from "./xendit.ts";
export { startServer, type Delivery, type FakeRequest, type FakeServer, type WebhookOptions } from "./server.ts";
