/** Webhook ids: a prefix and 24 base62 CSPRNG characters (≈ 143 bits), unguessable and safe in URLs and logs. */
import { randomBase62 } from '../access/key-format.js';

const ID_RANDOM_LENGTH = 24;

export const newEndpointId = () => `whe_${randomBase62(ID_RANDOM_LENGTH)}`;
export const newEventId = () => `evt_${randomBase62(ID_RANDOM_LENGTH)}`;
export const newDeliveryId = () => `whd_${randomBase62(ID_RANDOM_LENGTH)}`;
