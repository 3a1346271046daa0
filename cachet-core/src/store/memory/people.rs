//! Users and their second factors, API tokens, sessions and one-time tokens.
//!
//! [`PeopleStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{RecoveryCode, conflict, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, EffectsFn, PeopleStore, StoreResult, WriteContext};
use crate::validate::Email;

#[async_trait]
impl PeopleStore for MemoryStore {
    // ---- users and 2FA ----------------------------------------------------------------------

    async fn user(&self, id: UserId) -> StoreResult<User> {
        self.lock()
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))
    }

    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        Ok(self
            .lock()
            .users
            .values()
            .find(|u| &u.email == email)
            .cloned())
    }

    async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<User> = st
            .users
            .values()
            .filter(|u| {
                f.role.is_none_or(|r| u.role == r) && f.active.is_none_or(|a| u.active == a)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            order::user,
            |u| u.id.0,
        ))
    }

    async fn create_user(
        &self,
        cx: WriteContext,
        new: &NewUser,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<User> {
        let mut st = self.lock();
        if new.only_if_no_admin && st.users.values().any(|u| u.role == Role::Admin) {
            return Err(conflict("user", "an admin already exists"));
        }
        if st.users.values().any(|u| u.email == new.email) {
            return Err(conflict("user", "email already exists"));
        }
        let id = UserId(st.ids.user.next());
        let user = User {
            id,
            name: new.name.clone(),
            email: new.email.clone(),
            role: new.role,
            password_hash: new.password_hash.clone(),
            active: new.active,
            totp: None,
            last_login_at: None,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&user);
        st.users.insert(id, user.clone());
        st.commit(cx.now, effects);
        Ok(user)
    }

    async fn update_user(
        &self,
        cx: WriteContext,
        id: UserId,
        patch: &UserPatch,
        fx: &EffectsFn<'_, Changed<User>>,
    ) -> StoreResult<User> {
        let mut st = self.lock();
        let before = st
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))?;
        if let Some(email) = &patch.email
            && st.users.values().any(|u| u.id != id && &u.email == email)
        {
            return Err(conflict("user", "email already exists"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before: before.clone(),
            after: after.clone(),
        });
        if patch.password_hash.is_some() && before.password_hash.is_argon2() {
            let history = st.password_history.entry(id).or_default();
            history.insert(0, before.password_hash);
            history.truncate(PASSWORD_HISTORY_LEN);
        }
        st.users.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_user(
        &self,
        cx: WriteContext,
        id: UserId,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let user = st
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))?;
        let effects = fx(&user);
        st.users.remove(&id);
        st.sessions.retain(|_, s| s.user_id != id);
        st.api_tokens.retain(|_, t| t.user_id != id);
        st.recovery_codes.retain(|c| c.user_id != id);
        st.password_history.remove(&id);
        let clear = |u: &mut Option<UserId>| {
            if *u == Some(id) {
                *u = None;
            }
        };
        st.incidents
            .values_mut()
            .for_each(|i| clear(&mut i.user_id));
        st.incident_updates
            .values_mut()
            .for_each(|u| clear(&mut u.user_id));
        st.schedules
            .values_mut()
            .for_each(|s| clear(&mut s.user_id));
        st.schedule_updates
            .values_mut()
            .for_each(|u| clear(&mut u.user_id));
        st.history
            .values_mut()
            .for_each(|h| clear(&mut h.cause.user_id));
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>> {
        Ok(self
            .lock()
            .password_history
            .get(&user)
            .cloned()
            .unwrap_or_default())
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let mut st = self.lock();
        let u = st
            .users
            .get_mut(&user)
            .ok_or_else(|| not_found("user", user.0))?;
        let Some(totp) = u.totp.as_mut() else {
            return Ok(false);
        };
        if totp.last_step.is_none_or(|last| step > last) {
            totp.last_step = Some(step);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn replace_recovery_codes(
        &self,
        cx: WriteContext,
        user: UserId,
        codes: &[TokenHash],
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let effects = fx(&user);
        st.recovery_codes.retain(|c| c.user_id != user);
        st.recovery_codes
            .extend(codes.iter().map(|hash| RecoveryCode {
                user_id: user,
                hash: *hash,
                used_at: None,
            }));
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        cx: WriteContext,
        user: UserId,
        code: &TokenHash,
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<bool> {
        let mut st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let Some(index) = st
            .recovery_codes
            .iter()
            .position(|c| c.user_id == user && c.used_at.is_none() && &c.hash == code)
        else {
            return Ok(false);
        };
        let effects = fx(&user);
        if let Some(c) = st.recovery_codes.get_mut(index) {
            c.used_at = Some(cx.now);
        }
        st.commit(cx.now, effects);
        Ok(true)
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
        let st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let n = st
            .recovery_codes
            .iter()
            .filter(|c| c.user_id == user && c.used_at.is_none())
            .count();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    // ---- API tokens -------------------------------------------------------------------------

    async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
        self.lock()
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))
    }

    async fn api_token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiToken>> {
        Ok(self
            .lock()
            .api_tokens
            .values()
            .find(|t| &t.hash == hash)
            .cloned())
    }

    async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>> {
        let st = self.lock();
        let items: Vec<ApiToken> = st
            .api_tokens
            .values()
            .filter(|t| q.filter.user_id.is_none_or(|u| t.user_id == u))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |t| t.id.0,
        ))
    }

    async fn create_api_token(
        &self,
        cx: WriteContext,
        new: &NewApiToken,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<ApiToken> {
        let mut st = self.lock();
        if st.api_tokens.values().any(|t| t.hash == new.hash) {
            return Err(conflict("api_token", "hash already exists"));
        }
        st.check_user(Some(new.user_id))?;
        let id = ApiTokenId(st.ids.api_token.next());
        let token = ApiToken {
            id,
            user_id: new.user_id,
            name: new.name.clone(),
            prefix: new.prefix.clone(),
            hash: new.hash,
            scope: new.scope,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: cx.now,
        };
        let effects = fx(&token);
        st.api_tokens.insert(id, token.clone());
        st.commit(cx.now, effects);
        Ok(token)
    }

    async fn update_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        patch: &ApiTokenPatch,
        fx: &EffectsFn<'_, Changed<ApiToken>>,
    ) -> StoreResult<ApiToken> {
        let mut st = self.lock();
        let before = st
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.api_tokens.insert(id, after.clone());
        if patch.name.is_none() && patch.revoked_at.is_none() {
            // Only the last use: bookkeeping, not content (see the type's docs).
            st.apply_effects(cx.now, effects);
        } else {
            st.commit(cx.now, effects);
        }
        Ok(after)
    }

    async fn delete_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let token = st
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))?;
        let effects = fx(&token);
        st.api_tokens.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- sessions ---------------------------------------------------------------------------

    async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        Ok(self
            .lock()
            .sessions
            .values()
            .find(|s| &s.hash == hash)
            .cloned())
    }

    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| s.user_id == user)
            .cloned()
            .collect())
    }

    async fn create_session(&self, cx: WriteContext, new: &NewSession) -> StoreResult<Session> {
        let mut st = self.lock();
        st.check_user(Some(new.user_id))?;
        if st.sessions.values().any(|s| s.hash == new.hash) {
            return Err(conflict("session", "hash already exists"));
        }
        let id = SessionId(st.ids.session.next());
        let session = Session {
            id,
            hash: new.hash,
            user_id: new.user_id,
            pending_second_factor: new.pending_second_factor,
            created_at: cx.now,
            last_seen_at: cx.now,
            expires_at: new.expires_at,
            ip: new.ip.clone(),
            user_agent: new.user_agent.clone(),
        };
        st.sessions.insert(id, session.clone());
        Ok(session)
    }

    async fn update_session(&self, id: SessionId, patch: &SessionPatch) -> StoreResult<Session> {
        let mut st = self.lock();
        let session = st
            .sessions
            .get_mut(&id)
            .ok_or_else(|| not_found("session", id.0))?;
        patch.apply_to(session);
        Ok(session.clone())
    }

    async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
        self.lock().sessions.remove(&id);
        Ok(())
    }

    async fn delete_sessions_of(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.sessions.len();
        st.sessions
            .retain(|id, s| s.user_id != user || Some(*id) == except);
        Ok((before - st.sessions.len()) as u64)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.sessions.len();
        st.sessions.retain(|_, s| s.expires_at > now);
        Ok((before - st.sessions.len()) as u64)
    }

    // ---- one-time tokens --------------------------------------------------------------------

    async fn create_one_time_token(
        &self,
        cx: WriteContext,
        new: &NewOneTimeToken,
    ) -> StoreResult<OneTimeToken> {
        let mut st = self.lock();
        if st.one_time_tokens.values().any(|t| t.hash == new.hash) {
            return Err(conflict("one_time_token", "hash already exists"));
        }
        let id = OneTimeTokenId(st.ids.one_time_token.next());
        let token = OneTimeToken {
            id,
            purpose: new.purpose,
            hash: new.hash,
            subject_id: new.subject_id,
            payload: new.payload.clone(),
            expires_at: new.expires_at,
            used_at: None,
            created_at: cx.now,
        };
        st.one_time_tokens.insert(id, token.clone());
        Ok(token)
    }

    async fn consume_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        let mut st = self.lock();
        let token = st.one_time_tokens.values_mut().find(|t| {
            t.purpose == purpose && &t.hash == hash && t.used_at.is_none() && t.expires_at > now
        });
        Ok(token.map(|t| {
            t.used_at = Some(now);
            t.clone()
        }))
    }

    async fn peek_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        Ok(self
            .lock()
            .one_time_tokens
            .values()
            .find(|t| {
                t.purpose == purpose && &t.hash == hash && t.used_at.is_none() && t.expires_at > now
            })
            .cloned())
    }

    async fn end_one_time_tokens(
        &self,
        purpose: TokenPurpose,
        subject: i64,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let mut st = self.lock();
        let mut ended = 0;
        for t in st.one_time_tokens.values_mut().filter(|t| {
            t.purpose == purpose && t.subject_id == Some(subject) && t.used_at.is_none()
        }) {
            t.used_at = Some(now);
            ended += 1;
        }
        Ok(ended)
    }

    async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.one_time_tokens.len();
        st.one_time_tokens
            .retain(|_, t| t.used_at.is_none() && t.expires_at > now);
        Ok((before - st.one_time_tokens.len()) as u64)
    }
}
