import { proveRelease } from './etcd-proof.js';

// trixie's etcd-server 3.5.16 (scripts/fetch-etcd.sh trixie): every case.
proveRelease('3.5', '3.5');
