import { proveRelease } from './etcd-proof.js';

// Debian 12's etcd-server 3.4.23: every case.
proveRelease('3.4', '3.4');
